package mysql

import (
	"bytes"
	"slices"
	"strings"
	"testing"

	"github.com/gosqlguard/gosqlguard/internal/backup"
)

const sampleTail = `UNLOCK TABLES;

-- The deferred gtid setting for slave corresponding to the master-data CHANGE-MASTER follows

-- Preferably use GTID to start replication from GTID position:

-- SET GLOBAL gtid_slave_pos='0-1-3,1-2-99';
/*!40103 SET TIME_ZONE=@OLD_TIME_ZONE */;

/*!40111 SET SQL_NOTES=@OLD_SQL_NOTES */;

-- Dump completed on 2026-11-28 20:15:58
`

func TestStreamCheckComplete(t *testing.T) {
	body := strings.Repeat("INSERT INTO t VALUES (1);\n", 400) // > tailSize
	tests := []struct {
		name string
		dump string
		want bool
	}{
		{"complete", body + sampleTail, true},
		{"no trailing newline", body + "-- Dump completed on 2026-11-28 20:15:58", true},
		{"skip-dump-date", body + "-- Dump completed\n\n", true},
		{"missing", body + "/*!40111 SET SQL_NOTES=@OLD_SQL_NOTES */;\n", false},
		{"truncated marker", body + "-- Dump compl", false},
		{"marker not last", body + "-- Dump completed on x\nINSERT INTO t VALUES (2);\n", false},
		{"empty", "", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			// Every split point of the last 100 bytes, plus 1-byte writes.
			for cut := max(0, len(tt.dump)-100); cut <= len(tt.dump); cut++ {
				var out bytes.Buffer
				s := newStreamCheck(&out)
				s.Write([]byte(tt.dump[:cut]))
				s.Write([]byte(tt.dump[cut:]))
				if got := s.complete(); got != tt.want {
					t.Fatalf("split at %d: complete() = %v, want %v", cut, got, tt.want)
				}
				if out.String() != tt.dump {
					t.Fatal("stream not passed through unchanged")
				}
			}
			s := newStreamCheck(&bytes.Buffer{})
			for i := range len(tt.dump) {
				s.Write([]byte{tt.dump[i]})
			}
			if got := s.complete(); got != tt.want {
				t.Errorf("1-byte writes: complete() = %v, want %v", got, tt.want)
			}
		})
	}
}

func TestStreamCheckPosition(t *testing.T) {
	mariaHead := `/*M!999999\- enable the sandbox mode */
-- MariaDB dump 10.19  Distrib 10.11.19-MariaDB, for debian-linux-gnu (x86_64)
/*!40111 SET @OLD_SQL_NOTES=@@SQL_NOTES, SQL_NOTES=0 */;
-- CHANGE MASTER TO MASTER_USE_GTID=slave_pos;

-- CHANGE MASTER TO MASTER_LOG_FILE='binlog.000001', MASTER_LOG_POS=746;

`
	mysqlHead := `-- MySQL dump 10.13  Distrib 8.0.36
SET @@SESSION.SQL_LOG_BIN= 0;

--
-- GTID state at the beginning of the backup
--

SET @@GLOBAL.GTID_PURGED=/*!80000 '+'*/ '3E11FA47-71CA-11E1-9E33-C80AA9429562:1-5,
4E11FA47-71CA-11E1-9E33-C80AA9429562:1-9';

--
-- Position to start replication or point-in-time recovery from
--

-- CHANGE REPLICATION SOURCE TO SOURCE_LOG_FILE='binlog.000002', SOURCE_LOG_POS=157;
`
	tests := []struct {
		name string
		dump string
		want *backup.Position
	}{
		{"mariadb", mariaHead + strings.Repeat("x\n", 50000) + sampleTail,
			&backup.Position{BinlogFile: "binlog.000001", BinlogPos: 746, GTID: "0-1-3,1-2-99"}},
		{"mysql", mysqlHead + "body\n-- Dump completed on x\n",
			&backup.Position{BinlogFile: "binlog.000002", BinlogPos: 157,
				GTID: "3E11FA47-71CA-11E1-9E33-C80AA9429562:1-5,4E11FA47-71CA-11E1-9E33-C80AA9429562:1-9"}},
		{"none", "-- MariaDB dump\nbody\n-- Dump completed on x\n", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := newStreamCheck(&bytes.Buffer{})
			for chunk := range slices.Chunk([]byte(tt.dump), 777) {
				s.Write(chunk)
			}
			got := s.position()
			if (got == nil) != (tt.want == nil) || got != nil && *got != *tt.want {
				t.Errorf("got %+v, want %+v", got, tt.want)
			}
		})
	}
}
