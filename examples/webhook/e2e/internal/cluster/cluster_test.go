package cluster

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"net"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestServingCertificate(t *testing.T) {
	// The API server verifies the webhook's certificate against the CA
	// bundle for the address it dials; check the same here.
	ca, err := NewCA()
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	certFile, keyFile := filepath.Join(dir, "tls.crt"), filepath.Join(dir, "tls.key")
	if err := ca.WriteServing(certFile, keyFile); err != nil {
		t.Fatal(err)
	}
	cert, err := tls.LoadX509KeyPair(certFile, keyFile)
	if err != nil {
		t.Fatal(err)
	}
	ln, err := tls.Listen("tcp", "127.0.0.1:0", &tls.Config{Certificates: []tls.Certificate{cert}})
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			_ = c.(*tls.Conn).Handshake()
			c.Close()
		}
	}()
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(ca.PEM)
	tests := []struct {
		name, reason, serverName string
		roots                    *x509.CertPool
		wantErr                  bool
	}{
		{"ip", "webhook URLs use https://127.0.0.1", "127.0.0.1", pool, false},
		{"localhost", "the name works too", "localhost", pool, false},
		{"other name", "the certificate is for loopback only", "example.com", pool, true},
		{"other CA", "trust comes from the generated CA, not the system", "127.0.0.1", x509.NewCertPool(), true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := tls.Dial("tcp", ln.Addr().String(), &tls.Config{RootCAs: tt.roots, ServerName: tt.serverName})
			if c != nil {
				c.Close()
			}
			if (err != nil) != tt.wantErr {
				t.Errorf("handshake err = %v, want error %v (%s)", err, tt.wantErr, tt.reason)
			}
		})
	}
}

func TestFreePorts(t *testing.T) {
	ports, err := FreePorts(5)
	if err != nil {
		t.Fatal(err)
	}
	seen := map[int]bool{}
	for _, p := range ports {
		if p <= 0 || seen[p] {
			t.Fatalf("ports %v: want 5 distinct positive ports", ports)
		}
		seen[p] = true
		l, err := net.Listen("tcp", hostPort(p))
		if err != nil {
			t.Errorf("port %d is not free after FreePorts returned: %v", p, err)
			continue
		}
		l.Close()
	}
}

func TestProcess(t *testing.T) {
	tests := []struct {
		name, reason, script string
		wantReady            bool
		wantErr              string // substring of WaitFor's error
	}{
		{"ready", "WaitFor returns once the condition holds; Stop ends a running process",
			"echo started; exec sleep 30", true, ""},
		{"exits early", "a server that dies while starting is reported with its log, not waited for",
			"echo bind: address already in use; exit 3", false, "address already in use"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, err := StartProcess(t.TempDir(), "sh", "/bin/sh", "-c", tt.script)
			if err != nil {
				t.Fatal(err)
			}
			err = p.WaitFor(context.Background(), 10*time.Second, func(context.Context) error {
				if strings.Contains(p.Tail(100), "started") {
					return nil
				}
				return context.DeadlineExceeded
			})
			if tt.wantReady && err != nil {
				t.Fatalf("WaitFor: %v (%s)", err, tt.reason)
			}
			if !tt.wantReady {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) || !logMentionsBindFailure(p) {
					t.Fatalf("WaitFor: err = %v, want one quoting %q (%s)", err, tt.wantErr, tt.reason)
				}
			}
			if err := p.Stop(5 * time.Second); tt.wantReady && err != nil {
				t.Errorf("Stop: %v", err)
			}
			if exited, _ := p.Exited(); !exited {
				t.Errorf("process still running after Stop")
			}
		})
	}
}
