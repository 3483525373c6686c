package main

import (
	"encoding/json"
	"fmt"
	"io"
	"strconv"
	"strings"
	"text/tabwriter"
	"unicode"

	"k8s.io/apimachinery/pkg/labels"
	"sigs.k8s.io/yaml"

	"github.com/kinject/kinject/inject/cluster"
	"github.com/kinject/kinject/policy"
)

func labelSet(m map[string]string) labels.Set { return labels.Set(m) }

// write prints out in the format asked for.
func write(w io.Writer, format string, out *output) error {
	switch format {
	case "json":
		b, err := json.MarshalIndent(out, "", "  ")
		if err != nil {
			return err
		}
		_, err = fmt.Fprintf(w, "%s\n", b)
		return err
	case "yaml":
		b, err := yaml.Marshal(out)
		if err != nil {
			return err
		}
		_, err = w.Write(b)
		return err
	}
	switch out.Kind {
	case "CheckInject":
		printCheck(w, out)
	case "Plan":
		printPlan(w, out.Plan)
	case "Verification":
		printVerify(w, out.Verify)
	default:
		printReport(w, out)
	}
	printFindings(w, out.Findings, out.Kind == "CheckInject")
	if len(out.Notes) > 0 {
		fmt.Fprintln(w, "\nNotes:")
		for _, n := range out.Notes {
			fmt.Fprintf(w, "  %s\n", n)
		}
	}
	return nil
}

func table(w io.Writer) *tabwriter.Writer { return tabwriter.NewWriter(w, 0, 0, 2, ' ', 0) }

func dash(s string) string {
	if s == "" {
		return "-"
	}
	return clean(s)
}

func shortHook(name string) string {
	return dash(strings.TrimSuffix(name, ".sidecar-injector.istio.io"))
}

// printCheck is istioctl's table, then kinject's additions.
func printCheck(w io.Writer, out *output) {
	if len(out.Webhooks) == 0 {
		fmt.Fprintln(w, "ERROR: no Istio injection hooks present.")
	} else {
		tw := table(w)
		fmt.Fprintln(tw, "WEBHOOK\tREVISION\tINJECTED\tREASON")
		injecting := 0
		for _, v := range out.Webhooks {
			mark := "✘"
			if v.Matched {
				mark = "✔"
				injecting++
			}
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", clean(v.Configuration), dash(v.Revision), mark, v.Reason)
		}
		tw.Flush()
		if injecting > 1 {
			fmt.Fprintf(w, "ERROR: multiple webhooks will inject: the API server calls all %d, and the pod's sidecar depends on their order\n", injecting)
		}
	}
	d := out.Decision
	fmt.Fprintln(w)
	switch {
	case d.Inject:
		fmt.Fprintf(w, "kinject: injected by revision %q (configuration %s, webhook %s): %s\n", d.Revision, dash(d.Configuration), shortHook(d.Webhook), d.Reason)
	case d.Webhook != "":
		fmt.Fprintf(w, "kinject: not injected: webhook %s calls revision %q, whose injector refuses: %s\n", shortHook(d.Webhook), d.Revision, d.Reason)
	default:
		fmt.Fprintf(w, "kinject: not injected: %s\n", d.Reason)
	}
	for _, warning := range d.Warnings {
		fmt.Fprintf(w, "kinject: warning: %s\n", warning)
	}
	for _, p := range out.Pods {
		verdict := "up to date"
		if p.Stale {
			verdict = string(p.Action)
		}
		fmt.Fprintf(w, "kinject: pod %s: %s: %s\n", clean(p.Name), verdict, p.Reason)
	}
}

func printReport(w io.Writer, out *output) {
	if len(out.Workloads) == 0 {
		fmt.Fprintln(w, "no pod-bearing workloads in the input")
		return
	}
	tw := table(w)
	fmt.Fprintln(tw, "NAMESPACE\tWORKLOAD\tRESULT\tREVISION\tWEBHOOK\tPODS\tREASON")
	for _, r := range out.Workloads {
		result := "SKIP"
		if r.Inject {
			result = "INJECT"
		}
		pods := "-"
		if r.Pods > 0 {
			pods = strconv.Itoa(r.Pods)
			if r.Stale > 0 {
				pods = fmt.Sprintf("%d/%d stale", r.Stale, r.Pods)
			}
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\n", clean(r.Namespace), clean(strings.ToLower(r.Kind)+"/"+r.Name),
			result, dash(r.Revision), shortHook(r.Webhook), pods, r.Reason)
	}
	tw.Flush()
}

func revisions(now []string) string {
	if len(now) == 0 {
		return "-"
	}
	out := make([]string, len(now))
	for i, r := range now {
		out[i] = dash(r)
	}
	return strings.Join(out, ",")
}

// printPlan shows the workloads that need something, then the commands.
func printPlan(w io.Writer, p *cluster.Plan) {
	unchanged := 0
	tw := table(w)
	header := false
	for _, wp := range p.Workloads {
		if wp.Action == cluster.Nothing {
			unchanged++
			continue
		}
		if !header {
			fmt.Fprintln(tw, "NAMESPACE\tWORKLOAD\tPODS\tNOW\tAFTER\tACTION\tREASON")
			header = true
		}
		action := string(wp.Action)
		if wp.Need != "" {
			action += " (" + string(wp.Need) + ")"
		}
		fmt.Fprintf(tw, "%s\t%s\t%d\t%s\t%s\t%s\t%s\n", clean(wp.Namespace), clean(strings.ToLower(wp.Kind)+"/"+wp.Name),
			wp.Pods, revisions(wp.Now), dash(wp.After), action, wp.Reason)
	}
	tw.Flush()
	if p.Restarts == 0 {
		fmt.Fprintln(w, "Nothing to restart: every pod has the sidecar it gets after the change.")
	}
	if unchanged > 0 {
		fmt.Fprintf(w, "%d more workloads need nothing.\n", unchanged)
	}
	if len(p.Commands) > 0 {
		fmt.Fprintln(w, "\nCommands, in order:")
		for _, c := range p.Commands {
			fmt.Fprintf(w, "  %s\n", c)
		}
		if p.Restarts > 0 {
			fmt.Fprintln(w, "  # then check that every pod shows 2/2 READY: check-inject --verify")
		}
	}
}

func printVerify(w io.Writer, v *cluster.Verification) {
	tw := table(w)
	fmt.Fprintln(tw, "NAMESPACE\tPOD\tWORKLOAD\tREADY\tREVISION\tINTENDED\tSTATUS\tREASON")
	for _, c := range v.Pods {
		status := "OK"
		if !c.OK {
			status = string(c.Action)
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", clean(c.Namespace), clean(c.Name), clean(c.Workload),
			c.Ready(), dash(c.Revision), dash(c.Intended), status, c.Reason)
	}
	tw.Flush()
	fmt.Fprintf(w, "%d of %d pods as intended; %d have the intended sidecar.\n", v.OK, v.Total, v.Injected)
}

func printFindings(w io.Writer, fs []policy.Finding, inline bool) {
	if len(fs) == 0 {
		return
	}
	if !inline {
		fmt.Fprintln(w, "\nFindings:")
	}
	for _, f := range fs {
		prefix := "  "
		if inline {
			prefix = "kinject: "
		}
		fmt.Fprintf(w, "%s%s %s %s: %s\n", prefix, f.Severity, f.Code, clean(f.Object), f.Message)
		if f.Fix != "" {
			fmt.Fprintf(w, "%s  fix: %s\n", strings.Repeat(" ", len(prefix)), f.Fix)
		}
	}
}

// clean quotes a name from the input when it holds spaces or control
// characters, so that it cannot break the table's columns or lines.
func clean(s string) string {
	if s == "" || strings.IndexFunc(s, func(r rune) bool { return unicode.IsSpace(r) || !unicode.IsPrint(r) }) >= 0 {
		return strconv.Quote(s)
	}
	return s
}
