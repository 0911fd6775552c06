package config_test

import (
	"bytes"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/tandem-cluster/tandem/pkg/config"
)

type testConfig struct {
	Addr    string        `conf:"default:127.0.0.1:7101,help:gRPC listen address"`
	Timeout time.Duration `conf:"default:5s"`
	Secret  string        `conf:"default:dev-secret-value,mask,help:signing key"`
	NATSURL string        `conf:"default:nats://127.0.0.1:4222,env:NATS_URL,flag:nats-url"`
}

func TestLoad(t *testing.T) {
	tests := []struct {
		name    string
		env     map[string]string
		args    []string
		want    testConfig
		wantErr bool
	}{
		{
			name: "defaults",
			want: testConfig{Addr: "127.0.0.1:7101", Timeout: 5 * time.Second, Secret: "dev-secret-value", NATSURL: "nats://127.0.0.1:4222"},
		},
		{
			name: "env overrides default",
			env:  map[string]string{"CFGTEST_ADDR": ":9000", "CFGTEST_NATS_URL": "nats://n:1", "CFGTEST_SECRET": "s3"},
			want: testConfig{Addr: ":9000", Timeout: 5 * time.Second, Secret: "s3", NATSURL: "nats://n:1"},
		},
		{
			name: "flag overrides env",
			env:  map[string]string{"CFGTEST_ADDR": ":9000"},
			args: []string{"--addr", ":9100", "--timeout=1m", "--nats-url=nats://f:2"},
			want: testConfig{Addr: ":9100", Timeout: time.Minute, Secret: "dev-secret-value", NATSURL: "nats://f:2"},
		},
		{name: "bad duration in env", env: map[string]string{"CFGTEST_TIMEOUT": "soon"}, wantErr: true},
		{name: "bad duration in flag", args: []string{"--timeout", "x"}, wantErr: true},
		{name: "unknown flag", args: []string{"--adr", "x"}, wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for k, v := range tt.env {
				t.Setenv(k, v)
			}
			var got testConfig
			err := config.Load("CFGTEST", &got, tt.args, nil)
			if tt.wantErr {
				if err == nil {
					t.Fatalf("Load() = nil, want error (cfg %+v)", got)
				}
				if errors.Is(err, config.ErrHelp) {
					t.Fatalf("Load() = ErrHelp, want parse error")
				}
				return
			}
			if err != nil {
				t.Fatalf("Load() error = %v", err)
			}
			if got != tt.want {
				t.Fatalf("Load() = %+v, want %+v", got, tt.want)
			}
		})
	}
}

func TestLoadHelp(t *testing.T) {
	for _, arg := range []string{"--help", "-h"} {
		t.Run(arg, func(t *testing.T) {
			var buf bytes.Buffer
			var cfg testConfig
			err := config.Load("CFGTEST", &cfg, []string{arg}, &buf)
			if !errors.Is(err, config.ErrHelp) {
				t.Fatalf("Load(%s) error = %v, want ErrHelp", arg, err)
			}
			out := buf.String()
			for _, want := range []string{"127.0.0.1:7101", "CFGTEST_ADDR", "--nats-url", "CFGTEST_NATS_URL", "gRPC listen address", "5s"} {
				if !strings.Contains(out, want) {
					t.Errorf("usage lacks %q:\n%s", want, out)
				}
			}
			if strings.Contains(out, "dev-secret-value") {
				t.Errorf("usage shows the secret:\n%s", out)
			}
		})
	}
}

func TestString(t *testing.T) {
	cfg := testConfig{Addr: "a:1", Secret: "topsecret", NATSURL: "nats://user:pw@h:1"}
	s := config.String(&cfg)
	if strings.Contains(s, "topsecret") {
		t.Errorf("String() shows the secret: %s", s)
	}
	if !strings.Contains(s, "a:1") {
		t.Errorf("String() lacks addr: %s", s)
	}
}
