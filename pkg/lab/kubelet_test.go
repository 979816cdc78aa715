package lab_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/zonesim/zonesim/pkg/lab"
	corev1 "k8s.io/api/core/v1"
)

func TestParseConnect(t *testing.T) {
	tests := []struct {
		name    string
		cmd     []string
		want    lab.ConnectCommand
		wantErr string
	}{
		{"upstream form", []string{"/agnhost", "connect", "10.0.0.1:80", "--timeout=1s", "--protocol=tcp"},
			lab.ConnectCommand{Addr: "10.0.0.1:80", Protocol: "tcp", Timeout: time.Second}, ""},
		{"separate values, udp", []string{"agnhost", "connect", "--protocol", "udp", "--timeout", "2s", "[fd00::1]:53"},
			lab.ConnectCommand{Addr: "[fd00::1]:53", Protocol: "udp", Timeout: 2 * time.Second}, ""},
		{"no timeout: the lab's own", []string{"/agnhost", "connect", "10.0.0.1:80"},
			lab.ConnectCommand{Addr: "10.0.0.1:80", Protocol: "tcp", Timeout: 5 * time.Second}, ""},
		{"a shell", []string{"sh", "-c", "curl x"}, lab.ConnectCommand{}, "not supported in the zonesim lab"},
		{"another agnhost command", []string{"/agnhost", "netexec", "--http-port=80"}, lab.ConnectCommand{}, "not supported in the zonesim lab"},
		{"unknown flag", []string{"/agnhost", "connect", "10.0.0.1:80", "--udp-data=x"}, lab.ConnectCommand{}, "--udp-data is not supported"},
		{"no port", []string{"/agnhost", "connect", "10.0.0.1"}, lab.ConnectCommand{}, "missing port"},
		{"two destinations", []string{"/agnhost", "connect", "a:1", "b:2"}, lab.ConnectCommand{}, "one destination"},
		{"flag without value", []string{"/agnhost", "connect", "a:1", "--timeout"}, lab.ConnectCommand{}, "--timeout needs a value"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := lab.ParseConnect(tt.cmd)
			if tt.wantErr != "" {
				require.Error(t, err)
				assert.Contains(t, err.Error(), tt.wantErr)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tt.want, got)
		})
	}
}

func TestEmulatedPorts(t *testing.T) {
	agnhost := func(env ...string) corev1.Container {
		c := corev1.Container{Name: "probe", Image: "registry.k8s.io/e2e-test-images/agnhost:2.66.1", Command: []string{"/agnhost", "porter"}}
		for _, e := range env {
			c.Env = append(c.Env, corev1.EnvVar{Name: e, Value: "x"})
		}
		return c
	}
	tests := []struct {
		name     string
		cs       []corev1.Container
		tcp, udp []int
		wantErr  string
	}{
		{"porter ports by protocol", []corev1.Container{agnhost("SERVE_TCP_PORT_81", "SERVE_PORT_80", "SERVE_UDP_PORT_53", "SERVE_SCTP_PORT_80", "OTHER=1")},
			[]int{80, 81}, []int{53}, ""},
		{"the same port twice", []corev1.Container{agnhost("SERVE_PORT_80", "SERVE_TCP_PORT_80")}, []int{80}, nil, ""},
		{"porter in args, digest image, and a pause sidecar", []corev1.Container{
			{Name: "a", Image: "example.org/mirror/agnhost@sha256:abc", Args: []string{"porter"}, Env: []corev1.EnvVar{{Name: "SERVE_TLS_PORT_443"}}},
			{Name: "p", Image: "registry.k8s.io/pause:3.10"}}, []int{443}, nil, ""},
		{"another image", []corev1.Container{{Name: "web", Image: "nginx:1.27"}}, nil, nil, `container "web": image nginx:1.27: the zonesim lab runs no container images`},
		{"another agnhost command", []corev1.Container{{Name: "n", Image: "agnhost:2.66.1", Args: []string{"netexec"}}}, nil, nil, `agnhost "netexec" is not emulated`},
		{"bad port", []corev1.Container{agnhost("SERVE_PORT_http")}, nil, nil, "env SERVE_PORT_http: not a port"},
		{"a probe pod of zonesim probe serves nothing", []corev1.Container{{Name: "probe", Image: "registry.example.com/tools/zonesim:v1",
			Command: []string{"/usr/local/bin/zonesim", "probe", "--idle"}}}, nil, nil, ""},
		{"zonesim doing anything else", []corev1.Container{{Name: "z", Image: "zonesim:v1", Command: []string{"zonesim", "matrix"}}}, nil, nil,
			"it emulates agnhost (porter, pause), pause and zonesim (probe --idle)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tcp, udp, err := lab.EmulatedPorts(&corev1.Pod{Spec: corev1.PodSpec{Containers: tt.cs}})
			if tt.wantErr != "" {
				require.Error(t, err)
				assert.Contains(t, err.Error(), tt.wantErr)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tt.tcp, tcp)
			assert.Equal(t, tt.udp, udp)
		})
	}
}
