package codec

import corev1 "k8s.io/api/core/v1"

// BigContainer reports whether a container is big enough for the fast paths
// that leave containers out of a round trip (template's untouched
// containers, inject's elided patch) to pay: for a smaller one, comparing
// or copying costs about what encoding it does.
func BigContainer(c *corev1.Container) bool {
	return len(c.Env)+len(c.Args)+len(c.Command)+len(c.VolumeMounts)+len(c.Ports)+len(c.EnvFrom) >= 16
}
