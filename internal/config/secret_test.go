package config

import (
	"bytes"
	"encoding/json"
	"fmt"
	"log/slog"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"
)

func TestSecretIsNeverShown(t *testing.T) {
	const value = "hunter2-do-not-print"
	s := Secret(value)
	if got := s.Value(); got != value {
		t.Errorf("Value() = %q, want %q", got, value)
	}
	holder := struct {
		Password Secret
		Nested   Server
	}{s, Server{Name: "x", Password: s}}

	var logged bytes.Buffer
	slog.New(slog.NewTextHandler(&logged, nil)).Info("m", "password", s, "server", holder.Nested)
	slog.New(slog.NewJSONHandler(&logged, nil)).Info("m", "password", s, "server", holder.Nested)
	jsonOut, err := json.Marshal(holder)
	if err != nil {
		t.Fatal(err)
	}
	yamlOut, err := yaml.Marshal(holder)
	if err != nil {
		t.Fatal(err)
	}
	outputs := map[string]string{
		"%v":   fmt.Sprintf("%v", s),
		"%s":   fmt.Sprintf("%s", s),
		"%q":   fmt.Sprintf("%q", s),
		"%x":   fmt.Sprintf("%x", s),
		"%+v":  fmt.Sprintf("%+v", holder),
		"%#v":  fmt.Sprintf("%#v", holder),
		"json": string(jsonOut),
		"yaml": string(yamlOut),
		"slog": logged.String(),
	}
	for name, out := range outputs {
		if strings.Contains(out, value) {
			t.Errorf("%s output shows the secret: %s", name, out)
		}
		if !strings.Contains(out, "secret") && name != "%x" {
			t.Errorf("%s output = %s, want it to show <secret>", name, out)
		}
	}
}

func TestEmptySecretStaysEmpty(t *testing.T) {
	var s Secret
	if got := s.String(); got != "" {
		t.Errorf("String() = %q, want empty", got)
	}
	if got, _ := json.Marshal(s); string(got) != `""` {
		t.Errorf("MarshalJSON = %s, want \"\"", got)
	}
	if got, _ := s.MarshalYAML(); got != "" {
		t.Errorf("MarshalYAML = %v, want empty", got)
	}
}
