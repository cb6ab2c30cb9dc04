package computer

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"time"
)

// auditLine is one JSONL record of audit.jsonl.
type auditLine struct {
	Time        string  `json:"time"`
	TaskID      string  `json:"task_id"`
	Event       string  `json:"event"` // start | action | bad_action | model_error | end
	Step        int     `json:"step,omitempty"`
	Instruction string  `json:"instruction,omitempty"`
	DryRun      bool    `json:"dry_run,omitempty"`
	Approval    bool    `json:"approval_required,omitempty"`
	Action      *Action `json:"action,omitempty"`
	Pixel       *[2]int `json:"pixel,omitempty"`
	Description string  `json:"description,omitempty"`
	Window      string  `json:"window,omitempty"`
	Decision    string  `json:"decision,omitempty"` // executed | dry_run | declined | denied_window | refused | failed | done | fail
	Approved    bool    `json:"approved,omitempty"`
	Screenshot  string  `json:"screenshot,omitempty"`
	Answer      string  `json:"answer,omitempty"`
	Success     bool    `json:"success,omitempty"`
	Error       string  `json:"error,omitempty"`
}

// auditLog appends to <dir>/audit.jsonl and stores screenshots in
// <dir>/shots; every file is 0600 (screens hold private data).
type auditLog struct {
	dir string
	mu  sync.Mutex
}

func newAuditLog(dir string) *auditLog { return &auditLog{dir: dir} }

func (l *auditLog) write(line auditLine) {
	if l.dir == "" {
		return
	}
	line.Time = time.Now().UTC().Format(time.RFC3339Nano)
	b, err := json.Marshal(line)
	if err != nil {
		return
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if err := os.MkdirAll(l.dir, 0o700); err != nil {
		return
	}
	f, err := os.OpenFile(filepath.Join(l.dir, "audit.jsonl"), os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o600)
	if err != nil {
		return
	}
	_, _ = f.Write(append(b, '\n'))
	_ = f.Sync()
	_ = f.Close()
}

// shot stores a screenshot and returns its path relative to the audit dir.
func (l *auditLog) shot(taskID string, step int, jpg []byte) string {
	if l.dir == "" {
		return ""
	}
	rel := filepath.Join("shots", fmt.Sprintf("%s-%03d.jpg", safeName(taskID), step))
	full := filepath.Join(l.dir, rel)
	if err := os.MkdirAll(filepath.Dir(full), 0o700); err != nil {
		return ""
	}
	if err := os.WriteFile(full, jpg, 0o600); err != nil {
		return ""
	}
	return rel
}

func safeName(s string) string {
	out := []rune{}
	for _, r := range s {
		if r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '_' {
			out = append(out, r)
		}
	}
	if len(out) == 0 {
		return "task"
	}
	if len(out) > 64 {
		out = out[:64]
	}
	return string(out)
}
