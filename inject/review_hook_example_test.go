package inject_test

import (
	"context"
	"encoding/json"
	"fmt"
	"log"
	"net/http"

	"github.com/kinject/kinject/inject"
)

// A platform team's own rule on top of Istio's injection: every pod gets
// a label naming its namespace's team, and a pod whose containers do not
// request resources is refused. The hook sees the injected pod; the
// patch carries the injection and the label together.
func ExampleMutateFunc() {
	inj, err := inject.New(inject.DefaultConfig())
	if err != nil {
		log.Fatal(err)
	}
	platformRule := func(ctx context.Context, a *inject.PodAdmission) error {
		for _, c := range a.Original.Spec.Containers {
			if len(c.Resources.Requests) == 0 {
				return &inject.Denial{Code: http.StatusForbidden, Message: fmt.Sprintf("container %q has no resource requests", c.Name)}
			}
		}
		if a.Pod.Labels == nil {
			a.Pod.Labels = map[string]string{}
		}
		a.Pod.Labels["platform.example/team"] = "team-" + a.Request.Namespace
		return nil
	}
	rv := inject.NewReviewer(inj, inject.ReviewerOptions{Mutate: platformRule})

	review := func(pod string) string {
		return `{"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview","request":{"uid":"u1",
			"kind":{"group":"","version":"v1","kind":"Pod"},"resource":{"group":"","version":"v1","resource":"pods"},
			"namespace":"shop","operation":"CREATE","object":` + pod + `}}`
	}
	for _, pod := range []string{
		`{"metadata":{"name":"web","labels":{"app":"web"}},"spec":{"containers":[{"name":"web","image":"nginx","resources":{"requests":{"cpu":"100m"}}}]}}`,
		`{"metadata":{"name":"greedy"},"spec":{"containers":[{"name":"greedy","image":"nginx"}]}}`,
	} {
		out, err := rv.Review(context.Background(), []byte(review(pod)))
		if err != nil {
			log.Fatal(err)
		}
		var resp struct {
			Response struct {
				Allowed bool
				Patch   []byte
				Status  struct {
					Code    int
					Message string
				} `json:"status"`
			}
		}
		if err := json.Unmarshal(out, &resp); err != nil {
			log.Fatal(err)
		}
		if !resp.Response.Allowed {
			fmt.Println("denied:", resp.Response.Status.Code, resp.Response.Status.Message)
			continue
		}
		var ops []struct {
			Op, Path string
			Value    json.RawMessage
		}
		if err := json.Unmarshal(resp.Response.Patch, &ops); err != nil {
			log.Fatal(err)
		}
		for _, op := range ops {
			if op.Path == "/metadata/labels" {
				fmt.Println("allowed:", op.Op, op.Path, string(op.Value))
			} else {
				fmt.Println("allowed:", op.Op, op.Path)
			}
		}
	}
	// Output:
	// allowed: add /metadata/annotations
	// allowed: replace /metadata/labels {"app":"web","platform.example/team":"team-shop","security.istio.io/tlsMode":"istio","service.istio.io/canonical-name":"web","service.istio.io/canonical-revision":"latest"}
	// allowed: add /spec/containers/-
	// allowed: add /spec/initContainers
	// allowed: add /spec/volumes
	// denied: 403 container "greedy" has no resource requests
}
