package cluster_test

import (
	"crypto/x509"
	"encoding/pem"
	"fmt"
	"os"
	"path/filepath"

	"github.com/kinject/kinject/examples/webhook/e2e/internal/cluster"
)

// A webhook process gets a serving certificate from a CA made for the run;
// the CA's PEM goes into the MutatingWebhookConfiguration's caBundle.
func ExampleCA_WriteServing() {
	ca, err := cluster.NewCA()
	if err != nil {
		fmt.Println(err)
		return
	}
	dir, err := os.MkdirTemp("", "example-")
	if err != nil {
		fmt.Println(err)
		return
	}
	defer os.RemoveAll(dir)
	certFile := filepath.Join(dir, "tls.crt")
	if err := ca.WriteServing(certFile, filepath.Join(dir, "tls.key")); err != nil {
		fmt.Println(err)
		return
	}
	b, _ := os.ReadFile(certFile)
	block, _ := pem.Decode(b)
	cert, _ := x509.ParseCertificate(block.Bytes)
	roots := x509.NewCertPool()
	roots.AppendCertsFromPEM(ca.PEM)
	_, err = cert.Verify(x509.VerifyOptions{Roots: roots, DNSName: "127.0.0.1"})
	fmt.Println("valid for 127.0.0.1:", err == nil, cert.IPAddresses)
	// Output: valid for 127.0.0.1: true [127.0.0.1]
}
