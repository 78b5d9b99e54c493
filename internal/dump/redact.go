package dump

// RedactError returns err unchanged unless its message contains one of
// secrets or a password pattern; then it returns an error carrying only the
// redacted message (deliberately not wrapping err, whose text holds the secret).
func RedactError(err error, secrets []string) error {
	if err == nil {
		return nil
	}
	msg := err.Error()
	red := Redact(msg, secrets)
	if red == msg {
		return err
	}
	return redactedError(red)
}

type redactedError string

func (e redactedError) Error() string { return string(e) }
