package twitch

import (
	"bytes"
	"context"
	"log/slog"
	"strings"
	"testing"

	"gotest.tools/v3/assert"
)

// Without WithLogger, a Client logs warnings and errors to slog.Default()
// and nothing else: a running bot is quiet, a failing one is heard.
func TestDefaultLoggerKeepsWarningsAndErrors(t *testing.T) {
	ctx := context.Background()
	c := New("id")
	assert.Assert(t, !c.log.Enabled(ctx, slog.LevelInfo))
	assert.Assert(t, c.log.Enabled(ctx, slog.LevelWarn))
	assert.Assert(t, c.log.Enabled(ctx, slog.LevelError))

	var buf bytes.Buffer
	log := slog.New(minLevel{slog.NewTextHandler(&buf, nil), slog.LevelWarn}).With("user", "twitchdev").WithGroup("g")
	log.Info("quiet")
	log.Warn("heard", "k", 1)
	out := buf.String()
	assert.Assert(t, !strings.Contains(out, "quiet"), out)
	assert.Assert(t, strings.Contains(out, `msg=heard user=twitchdev g.k=1`), out)
}
