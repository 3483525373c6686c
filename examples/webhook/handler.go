package main

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/kinject/kinject/inject"
	"github.com/kinject/kinject/policy"
)

// requestHead is what the log line and the metrics need from an
// AdmissionReview request; the Reviewer decodes the rest itself.
type requestHead struct {
	Request *struct {
		UID         string `json:"uid"`
		Kind        struct{ Group, Kind string }
		Resource    struct{ Group, Resource string }
		SubResource string `json:"subResource"`
		Namespace   string `json:"namespace"`
		Operation   string `json:"operation"`
		DryRun      *bool  `json:"dryRun"`
		Object      struct {
			Metadata struct {
				Name         string `json:"name"`
				GenerateName string `json:"generateName"`
				Namespace    string `json:"namespace"`
			} `json:"metadata"`
		} `json:"object"`
	} `json:"request"`
}

// podCreate says whether the request creates a pod, by the rule Review
// documents: everything else is allowed untouched.
func (h *requestHead) podCreate() bool {
	r := h.Request
	if r == nil || r.Operation != "CREATE" || r.SubResource != "" {
		return false
	}
	if r.Kind.Kind != "" {
		return r.Kind.Group == "" && r.Kind.Kind == "Pod"
	}
	return r.Resource.Group == "" && r.Resource.Resource == "pods"
}

// podTarget is the pod's part of the injector's decision, decoded only for
// a pod that was not injected, to say why.
type podTarget struct {
	Request struct {
		Namespace string `json:"namespace"`
		Object    struct {
			Metadata struct {
				Namespace   string            `json:"namespace"`
				Labels      map[string]string `json:"labels"`
				Annotations map[string]string `json:"annotations"`
			} `json:"metadata"`
			Spec struct {
				HostNetwork bool `json:"hostNetwork"`
			} `json:"spec"`
		} `json:"object"`
	} `json:"request"`
}

// answerHead is what the metrics need from the answer.
type answerHead struct {
	Response *struct {
		Allowed bool   `json:"allowed"`
		Patch   string `json:"patch"` // base64
		Status  *struct {
			Code    int32  `json:"code"`
			Message string `json:"message"`
		} `json:"status"`
	} `json:"response"`
}

// outcome is one request's result, for its log line and the metrics.
type outcome struct {
	decision   string // injected, skipped, denied or error
	reason     int    // index into skipNames, denyNames or errNames
	message    string // free text for the log: the policy's reason, the denial, the error
	patchBytes int
	status     int // HTTP status written
}

func (o *outcome) reasonName() string {
	switch o.decision {
	case "skipped":
		return skipNames[o.reason]
	case "denied":
		return denyNames[o.reason]
	case "error":
		return errNames[o.reason]
	}
	return ""
}

// handleInject answers POST /inject.
func (s *server) handleInject(w http.ResponseWriter, r *http.Request) {
	start := s.now()
	cur := s.cur.Load()
	var head requestHead
	o := s.inject(w, r, cur, &head, start)
	d := s.now().Sub(start)
	s.metrics.requests.Add(1)
	s.metrics.latency.observe(d)
	switch o.decision {
	case "injected":
		s.metrics.injected.Add(1)
	case "skipped":
		s.metrics.skipped[o.reason].Add(1)
	case "denied":
		s.metrics.denied[o.reason].Add(1)
	default:
		s.metrics.errors[o.reason].Add(1)
	}
	s.logRequest(r.Context(), &head, cur, &o, d)
}

func (s *server) inject(w http.ResponseWriter, r *http.Request, cur *loaded, head *requestHead, start time.Time) outcome {
	fail := func(reason, status int, msg string) outcome {
		http.Error(w, msg, status)
		return outcome{decision: "error", reason: reason, message: msg, status: status}
	}
	if ct := r.Header.Get("Content-Type"); ct != "" && !strings.HasPrefix(ct, "application/json") {
		return fail(errContentType, http.StatusUnsupportedMediaType, fmt.Sprintf("content type %q is not application/json", ct))
	}
	// The API server appends ?timeout=10s (the configuration's
	// timeoutSeconds) and gives up after it; so does --write-timeout.
	// Work stops at the earlier of the two, and nothing is answered after.
	limit := s.writeTimeout
	if t := r.URL.Query().Get("timeout"); t != "" {
		d, err := time.ParseDuration(t)
		if err != nil || d <= 0 {
			return fail(errBadTimeout, http.StatusBadRequest, fmt.Sprintf("timeout parameter %q is not a positive duration", t))
		}
		if limit <= 0 || d < limit {
			limit = d
		}
	}
	ctx := r.Context()
	if limit > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithDeadline(ctx, start.Add(limit))
		defer cancel()
	}

	var body bytes.Buffer
	if _, err := body.ReadFrom(http.MaxBytesReader(w, r.Body, s.maxBytes)); err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			return fail(errTooLarge, http.StatusRequestEntityTooLarge, fmt.Sprintf("request body exceeds %d bytes", s.maxBytes))
		}
		return fail(errRead, http.StatusBadRequest, "reading request: "+err.Error())
	}
	json.Unmarshal(body.Bytes(), head) // best effort, for the log; Review judges the body

	out, err := cur.reviewer.Review(ctx, body.Bytes())
	if err == nil {
		// An answer made after the deadline is not sent. The clock is
		// asked too: the context's timer may not have fired yet on a
		// loaded machine although the deadline has passed.
		err = ctx.Err()
		if dl, ok := ctx.Deadline(); ok && err == nil && !s.now().Before(dl) {
			err = context.DeadlineExceeded
		}
	}
	switch {
	case errors.Is(err, context.DeadlineExceeded):
		return fail(errTimeout, http.StatusGatewayTimeout, fmt.Sprintf("no answer within %s", limit))
	case errors.Is(err, context.Canceled):
		return fail(errCanceled, http.StatusServiceUnavailable, "the client went away")
	case errors.Is(err, inject.ErrBadReview):
		return fail(errBadReview, http.StatusBadRequest, err.Error())
	case err != nil:
		return fail(errInternal, http.StatusInternalServerError, err.Error())
	}
	w.Header().Set("Content-Type", "application/json")
	w.Write(out)
	o := classify(out, head, cur.rev, body.Bytes())
	o.status = http.StatusOK
	return o
}

// classify reads the answer: injected when it carries a patch, denied when
// not allowed, skipped otherwise, with the reason from a fixed list.
func classify(out []byte, head *requestHead, rev policy.Revision, body []byte) outcome {
	allowed, patch, ok := scanAnswer(out)
	var a answerHead
	if !ok || !allowed {
		// The reference (and the denial's status): decode it.
		if err := json.Unmarshal(out, &a); err != nil || a.Response == nil {
			return outcome{decision: "error", reason: errInternal, message: "the answer is not an AdmissionReview"}
		}
		allowed, patch = a.Response.Allowed, []byte(a.Response.Patch)
	}
	var o outcome
	switch {
	case !allowed:
		o.decision, o.reason = "denied", denyOther
		if st := a.Response.Status; st != nil {
			o.message = st.Message
			switch st.Code {
			case http.StatusBadRequest:
				o.reason = denyInvalidPod
			case http.StatusInternalServerError:
				o.reason = denyInternal
			}
		}
	case len(patch) > 0:
		o.decision = "injected"
		o.patchBytes = base64.StdEncoding.DecodedLen(len(patch)) - bytes.Count(patch[len(patch)-min(2, len(patch)):], []byte("="))
	case !head.podCreate():
		o.decision, o.reason, o.message = "skipped", skipNotPodCreate, "not a pod CREATE"
	default:
		// The injector decided with rev's own rules (Revision.Required);
		// ask them again to say why. Only pods that were not injected pay
		// for this.
		var t podTarget
		json.Unmarshal(body, &t)
		ns := t.Request.Object.Metadata.Namespace
		if ns == "" {
			ns = t.Request.Namespace
		}
		d := rev.Required(policy.Target{
			Namespace:   ns,
			Labels:      t.Request.Object.Metadata.Labels,
			Annotations: t.Request.Object.Metadata.Annotations,
			HostNetwork: t.Request.Object.Spec.HostNetwork,
		})
		o.decision, o.reason, o.message = "skipped", skipReason(d.Rule), d.Reason
		if d.Inject {
			o.reason, o.message = skipNoChange, "injected before with the same sidecar: nothing to change"
		}
	}
	return o
}

// scanAnswer reads allowed and the base64 patch (a part of out) from
// Review's answer without decoding it, which would cost more than the
// Reviewer's cached answer itself (the patch is most of the bytes). The
// answer is compact JSON (Review's own encoding, or encoding/json's): a
// key's closing quote is never escaped, so the bytes "allowed": and
// "patch":" can only be those members, and base64 holds no quote. ok is
// false when the answer does not hold each exactly as expected; the caller
// then decodes it (TestScanAnswer holds the two equal).
func scanAnswer(out []byte) (allowed bool, patch []byte, ok bool) {
	const allowedKey, patchKey = `"allowed":`, `"patch":"`
	if bytes.Count(out, []byte(allowedKey)) != 1 || bytes.Count(out, []byte(patchKey)) > 1 {
		return false, nil, false
	}
	rest := out[bytes.Index(out, []byte(allowedKey))+len(allowedKey):]
	switch {
	case bytes.HasPrefix(rest, []byte("true")):
		allowed = true
	case bytes.HasPrefix(rest, []byte("false")):
	default:
		return false, nil, false
	}
	if at := bytes.Index(out, []byte(patchKey)); at >= 0 {
		patch = out[at+len(patchKey):]
		end := bytes.IndexByte(patch, '"')
		if end < 0 {
			return false, nil, false
		}
		patch = patch[:end]
	}
	return allowed, patch, true
}

// logRequest writes the request's one log line.
func (s *server) logRequest(ctx context.Context, head *requestHead, cur *loaded, o *outcome, d time.Duration) {
	attrs := make([]slog.Attr, 0, 14)
	if r := head.Request; r != nil {
		ns := r.Namespace
		if ns == "" {
			ns = r.Object.Metadata.Namespace
		}
		pod := r.Object.Metadata.Name
		if pod == "" && r.Object.Metadata.GenerateName != "" {
			pod = r.Object.Metadata.GenerateName + "*"
		}
		attrs = append(attrs, slog.String("uid", r.UID), slog.String("namespace", ns), slog.String("pod", pod))
		if !head.podCreate() {
			attrs = append(attrs, slog.String("operation", r.Operation), slog.String("kind", r.Kind.Kind))
		}
		if r.DryRun != nil && *r.DryRun {
			attrs = append(attrs, slog.Bool("dryRun", true))
		}
	}
	attrs = append(attrs, slog.String("decision", o.decision))
	if rn := o.reasonName(); rn != "" {
		attrs = append(attrs, slog.String("reason", rn))
	}
	if o.message != "" {
		attrs = append(attrs, slog.String("message", o.message))
	}
	attrs = append(attrs,
		slog.String("revision", revisionName(cur.rev)),
		slog.Duration("duration", d),
		slog.Int("patchBytes", o.patchBytes),
		slog.Int("status", o.status))
	level := slog.LevelInfo
	if o.decision == "error" {
		level = slog.LevelWarn
	}
	s.log.LogAttrs(ctx, level, "admission review", attrs...)
}
