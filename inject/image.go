package inject

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/kinject/kinject/template/meshconfig"
)

// images resolves the proxy and proxy-init images the way Istio does:
// <hub>/<image>:<tag>, the tag suffixed with the image type ("-distroless",
// "-debug") chosen by the pod's sidecar.istio.io/proxyImageType annotation,
// else the proxy config's image.imageType, else values.global.variant. An
// image name holding a "/" is a full reference and is used as is.
func (i *Injector) images(annotations map[string]string, pc *meshconfig.ProxyConfig) (proxy, proxyInit string) {
	v := i.cfg.Values
	hub := valueString(v, "global", "hub")
	tag := valueString(v, "global", "tag")
	imageType := valueString(v, "global", "variant")
	if pc != nil && pc.Image != nil && pc.Image.ImageType != "" {
		imageType = pc.Image.ImageType
	}
	if t, ok := annotations[annProxyImageType]; ok {
		imageType = t
	}
	name := valueString(v, "global", "proxy", "image")
	if name == "" {
		name = "proxyv2"
	}
	initName := valueString(v, "global", "proxy_init", "image")
	if initName == "" {
		initName = "proxyv2"
	}
	return imageRef(hub, name, tag, imageType), imageRef(hub, initName, tag, imageType)
}

func imageRef(hub, name, tag, imageType string) string {
	if strings.Contains(name, "/") {
		return name
	}
	if imageType != "" {
		// A known type suffix already on the tag is replaced; "default"
		// removes it.
		for _, known := range []string{"-distroless", "-debug"} {
			if strings.HasSuffix(tag, known) {
				tag = strings.TrimSuffix(tag, known)
				break
			}
		}
		if imageType != "default" {
			tag += "-" + imageType
		}
	}
	ref := name
	if hub != "" {
		ref = hub + "/" + name
	}
	if tag != "" {
		ref += ":" + tag
	}
	return ref
}

// openshiftIDs returns the proxy's UID and GID on OpenShift: the last ID of
// the namespace's openshift.io/sa.scc.uid-range, and of its
// openshift.io/sa.scc.supplemental-groups (the UID range when that is
// absent). Ranges read "<start>/<size>" or "<start>-<end>"; several may be
// listed with commas, the first is used. Without the annotations the
// template's default (1337) applies.
func openshiftIDs(nsAnnotations map[string]string) (uid, gid int64, err error) {
	if r, ok := nsAnnotations[annUIDRange]; ok {
		if uid, err = lastID(r); err != nil {
			return 0, 0, fmt.Errorf("namespace annotation %s: %w", annUIDRange, err)
		}
		gid = uid
	}
	if r, ok := nsAnnotations[annSupplementalGID]; ok {
		if gid, err = lastID(r); err != nil {
			return 0, 0, fmt.Errorf("namespace annotation %s: %w", annSupplementalGID, err)
		}
	}
	return uid, gid, nil
}

func lastID(r string) (int64, error) {
	r, _, _ = strings.Cut(r, ",")
	r = strings.TrimSpace(r)
	if start, size, ok := strings.Cut(r, "/"); ok {
		s, err1 := strconv.ParseInt(start, 10, 64)
		n, err2 := strconv.ParseInt(size, 10, 64)
		if err1 != nil || err2 != nil || n < 1 || s < 0 {
			return 0, fmt.Errorf("%q is not a range <start>/<size>", r)
		}
		return s + n - 1, nil
	}
	if start, end, ok := strings.Cut(r, "-"); ok {
		s, err1 := strconv.ParseInt(start, 10, 64)
		e, err2 := strconv.ParseInt(end, 10, 64)
		if err1 != nil || err2 != nil || e < s || s < 0 {
			return 0, fmt.Errorf("%q is not a range <start>-<end>", r)
		}
		return e, nil
	}
	return 0, fmt.Errorf("%q is not a range", r)
}
