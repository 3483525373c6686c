package inject

import (
	"strings"

	corev1 "k8s.io/api/core/v1"
)

// WithServerDefaults returns a copy of pod with the defaults the Kubernetes
// API server fills in when it stores a pod (its v1 defaulting functions, as
// of Kubernetes 1.34) applied to every field that is absent. A pod read
// back from a cluster has them all; a pod fresh from a template or a
// webhook's patch has none, which is why comparing the two field by field
// calls every running pod different. The model, in one place:
//
//	pod spec       dnsPolicy ClusterFirst, restartPolicy Always, terminationGracePeriodSeconds 30,
//	               securityContext {}, schedulerName default-scheduler, enableServiceLinks true;
//	               with hostNetwork, each container port's hostPort = containerPort
//	containers     terminationMessagePath /dev/termination-log, terminationMessagePolicy File,
//	(and init)     imagePullPolicy Always for an image tagged latest or untagged without digest,
//	               else IfNotPresent; ports' protocol TCP; env fieldRef apiVersion v1;
//	               resources: a limit without a request gets the limit as request
//	probes         timeoutSeconds 1, periodSeconds 10, successThreshold 1, failureThreshold 3;
//	               grpc service ""
//	httpGet        path /, scheme HTTP (probes and lifecycle hooks)
//	volumes        no source: emptyDir {}; secret, configMap, downwardAPI, projected defaultMode 0644;
//	               serviceAccountToken expirationSeconds 3600; hostPath type "";
//	               iscsi iscsiInterface default; rbd pool rbd, user admin, keyring /etc/ceph/keyring;
//	               azureDisk cachingMode ReadWrite, fsType ext4, readOnly false, kind Shared;
//	               scaleIO storageMode ThinProvisioned, fsType xfs
//
// What admission plugins add (the service-account token volume and its
// mounts, tolerations for not-ready and unreachable nodes, priority) and
// what the scheduler and kubelet write (nodeName, status) are not defaults
// and are left alone here; CheckStale compares modulo those separately.
// pod is not modified; nil gives nil.
func WithServerDefaults(pod *corev1.Pod) *corev1.Pod {
	if pod == nil {
		return nil
	}
	out := pod.DeepCopy()
	defaultPodSpec(&out.Spec)
	return out
}

// defaultPodSpec applies WithServerDefaults' model to spec in place.
func defaultPodSpec(spec *corev1.PodSpec) {
	if spec.DNSPolicy == "" {
		spec.DNSPolicy = corev1.DNSClusterFirst
	}
	if spec.RestartPolicy == "" {
		spec.RestartPolicy = corev1.RestartPolicyAlways
	}
	if spec.TerminationGracePeriodSeconds == nil {
		grace := int64(corev1.DefaultTerminationGracePeriodSeconds)
		spec.TerminationGracePeriodSeconds = &grace
	}
	if spec.SecurityContext == nil {
		spec.SecurityContext = &corev1.PodSecurityContext{}
	}
	if spec.SchedulerName == "" {
		spec.SchedulerName = corev1.DefaultSchedulerName
	}
	if spec.EnableServiceLinks == nil {
		links := corev1.DefaultEnableServiceLinks
		spec.EnableServiceLinks = &links
	}
	for _, cs := range [][]corev1.Container{spec.InitContainers, spec.Containers} {
		for k := range cs {
			defaultContainer(&cs[k], spec.HostNetwork)
		}
	}
	for k := range spec.Volumes {
		defaultVolume(&spec.Volumes[k].VolumeSource)
	}
}

func defaultContainer(c *corev1.Container, hostNetwork bool) {
	if c.TerminationMessagePath == "" {
		c.TerminationMessagePath = corev1.TerminationMessagePathDefault
	}
	if c.TerminationMessagePolicy == "" {
		c.TerminationMessagePolicy = corev1.TerminationMessageReadFile
	}
	if c.ImagePullPolicy == "" {
		c.ImagePullPolicy = defaultPullPolicy(c.Image)
	}
	for k := range c.Ports {
		p := &c.Ports[k]
		if p.Protocol == "" {
			p.Protocol = corev1.ProtocolTCP
		}
		if hostNetwork && p.HostPort == 0 {
			p.HostPort = p.ContainerPort
		}
	}
	for k := range c.Env {
		if f := c.Env[k].ValueFrom; f != nil && f.FieldRef != nil && f.FieldRef.APIVersion == "" {
			f.FieldRef.APIVersion = "v1"
		}
	}
	if len(c.Resources.Limits) > 0 {
		for name, limit := range c.Resources.Limits {
			if _, ok := c.Resources.Requests[name]; ok {
				continue
			}
			if c.Resources.Requests == nil {
				c.Resources.Requests = corev1.ResourceList{}
			}
			c.Resources.Requests[name] = limit.DeepCopy()
		}
	}
	for _, p := range []*corev1.Probe{c.LivenessProbe, c.ReadinessProbe, c.StartupProbe} {
		if p == nil {
			continue
		}
		if p.TimeoutSeconds == 0 {
			p.TimeoutSeconds = 1
		}
		if p.PeriodSeconds == 0 {
			p.PeriodSeconds = 10
		}
		if p.SuccessThreshold == 0 {
			p.SuccessThreshold = 1
		}
		if p.FailureThreshold == 0 {
			p.FailureThreshold = 3
		}
		defaultHTTPGet(p.HTTPGet)
		if p.GRPC != nil && p.GRPC.Service == nil {
			service := ""
			p.GRPC.Service = &service
		}
	}
	if l := c.Lifecycle; l != nil {
		for _, h := range []*corev1.LifecycleHandler{l.PostStart, l.PreStop} {
			if h != nil {
				defaultHTTPGet(h.HTTPGet)
			}
		}
	}
}

func defaultHTTPGet(h *corev1.HTTPGetAction) {
	if h == nil {
		return
	}
	if h.Path == "" {
		h.Path = "/"
	}
	if h.Scheme == "" {
		h.Scheme = corev1.URISchemeHTTP
	}
}

// defaultPullPolicy is the API server's rule: Always for the tag "latest"
// and for an image with neither tag nor digest, IfNotPresent otherwise.
func defaultPullPolicy(image string) corev1.PullPolicy {
	name := image
	digest := false
	if at := strings.IndexByte(name, '@'); at >= 0 {
		name, digest = name[:at], true
	}
	tag := ""
	// A colon after the last slash separates the tag; one before it is a
	// registry's port.
	if colon := strings.LastIndexByte(name, ':'); colon > strings.LastIndexByte(name, '/') {
		tag = name[colon+1:]
	}
	if tag == "latest" || tag == "" && !digest {
		return corev1.PullAlways
	}
	return corev1.PullIfNotPresent
}

const defaultFileMode = int32(0o644)

func defaultMode(m **int32) {
	if *m == nil {
		v := defaultFileMode
		*m = &v
	}
}

func defaultVolume(v *corev1.VolumeSource) {
	if *v == (corev1.VolumeSource{}) {
		v.EmptyDir = &corev1.EmptyDirVolumeSource{}
		return
	}
	if s := v.Secret; s != nil {
		defaultMode(&s.DefaultMode)
	}
	if s := v.ConfigMap; s != nil {
		defaultMode(&s.DefaultMode)
	}
	if s := v.DownwardAPI; s != nil {
		defaultMode(&s.DefaultMode)
		for k := range s.Items {
			if f := s.Items[k].FieldRef; f != nil && f.APIVersion == "" {
				f.APIVersion = "v1"
			}
		}
	}
	if s := v.Projected; s != nil {
		defaultMode(&s.DefaultMode)
		for k := range s.Sources {
			src := &s.Sources[k]
			if t := src.ServiceAccountToken; t != nil && t.ExpirationSeconds == nil {
				exp := int64(3600)
				t.ExpirationSeconds = &exp
			}
			if d := src.DownwardAPI; d != nil {
				for j := range d.Items {
					if f := d.Items[j].FieldRef; f != nil && f.APIVersion == "" {
						f.APIVersion = "v1"
					}
				}
			}
		}
	}
	if s := v.HostPath; s != nil && s.Type == nil {
		unset := corev1.HostPathUnset
		s.Type = &unset
	}
	if s := v.ISCSI; s != nil && s.ISCSIInterface == "" {
		s.ISCSIInterface = "default"
	}
	if s := v.RBD; s != nil {
		if s.RBDPool == "" {
			s.RBDPool = "rbd"
		}
		if s.RadosUser == "" {
			s.RadosUser = "admin"
		}
		if s.Keyring == "" {
			s.Keyring = "/etc/ceph/keyring"
		}
	}
	if s := v.AzureDisk; s != nil {
		if s.CachingMode == nil {
			mode := corev1.AzureDataDiskCachingReadWrite
			s.CachingMode = &mode
		}
		if s.Kind == nil {
			kind := corev1.AzureSharedBlobDisk
			s.Kind = &kind
		}
		if s.FSType == nil {
			fs := "ext4"
			s.FSType = &fs
		}
		if s.ReadOnly == nil {
			ro := false
			s.ReadOnly = &ro
		}
	}
	if s := v.ScaleIO; s != nil {
		if s.StorageMode == "" {
			s.StorageMode = "ThinProvisioned"
		}
		if s.FSType == "" {
			s.FSType = "xfs"
		}
	}
}
