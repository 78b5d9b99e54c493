package mysql

import (
	"bytes"
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/gosqlguard/gosqlguard/internal/dump"
)

// A row longer than the server's max_allowed_packet (here: the limit was
// lowered after the row was written) cannot be restored into that server.
// The backup says so when it is taken, and a restore into a server whose
// limit is too small is refused before anything changes, naming
// max_allowed_packet.
func TestRowLongerThanPacketLimit(t *testing.T) {
	conn := throwawayServer(t, "--max-allowed-packet=4M")
	admin, err := New(conn, nil).open()
	if err != nil {
		t.Fatal(err)
	}
	defer admin.Close()
	mustExec(t, admin,
		"CREATE DATABASE shop",
		"CREATE TABLE shop.files (id INT PRIMARY KEY, data LONGBLOB)",
		"INSERT INTO shop.files VALUES (1, REPEAT('x', 2000000)), (2, 'small')",
		"SET GLOBAL max_allowed_packet = 1048576",
	)
	var out bytes.Buffer
	info, err := New(conn, nil).Dump(context.Background(), "shop", &out)
	if err != nil {
		t.Fatal(err)
	}
	if info.MaxStatementBytes < 2000000 || info.MaxStatementBytes > 2001000 {
		t.Errorf("MaxStatementBytes = %d, want the 2 MB row's statement", info.MaxStatementBytes)
	}
	if len(info.Warnings) != 1 || !strings.Contains(info.Warnings[0], "max_allowed_packet (1048576)") || !strings.Contains(info.Warnings[0], "`files`") {
		t.Errorf("warnings = %q, want one naming the table and max_allowed_packet", info.Warnings)
	}

	err = New(conn, nil).CheckTarget(context.Background(), "copy", dump.RestoreOptions{MaxStatementBytes: info.MaxStatementBytes})
	if err == nil || !strings.Contains(err.Error(), "max_allowed_packet") || !errors.Is(err, dump.ErrTargetUnchanged) {
		t.Errorf("CheckTarget = %v, want a refusal naming max_allowed_packet", err)
	}
	mustExec(t, admin, "SET GLOBAL max_allowed_packet = 4194304")
	if err := New(conn, nil).CheckTarget(context.Background(), "copy", dump.RestoreOptions{MaxStatementBytes: info.MaxStatementBytes}); err != nil {
		t.Errorf("CheckTarget with a large enough limit = %v", err)
	}
}
