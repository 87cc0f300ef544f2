package eventsub

import (
	"log/slog"
	"os"
	"testing"
)

func init() {
	if os.Getenv("EVENTSUB_DEBUG") != "" {
		debugLogger = slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
}

var _ = testing.Short
