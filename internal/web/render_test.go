package web

import (
	"errors"
	"fmt"
	"testing"

	"github.com/gosqlguard/gosqlguard/internal/service"
)

func TestServiceMessageShowsTheTextOnce(t *testing.T) {
	usage := errors.New("invalid request") // the app's own sentinel has the same words
	err := fmt.Errorf("%w: %w", service.ErrInvalid, fmt.Errorf("%w: server %q is not configured", usage, "nope"))
	_, text := service.Classify(err)
	if got, want := sentence(text, service.ErrInvalid), `Server "nope" is not configured`; got != want {
		t.Errorf("message = %q, want %q", got, want)
	}
}
