package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/twitchify-go/twitch/eventsub"
	"github.com/twitchify-go/twitch/helix"
	"github.com/twitchify-go/twitch/oauth"
	"github.com/twitchify-go/twitch/twitchtest"
)

const (
	clientID    = "conduit-example"
	appToken    = "conduit-example-app-token"
	appTokenEnv = "CONDUIT_EXAMPLE_APP_TOKEN"
	// secretEnv holds the webhook shards' secret.
	secretEnv     = "CONDUIT_EXAMPLE_SECRET"
	webhookSecret = "conduit-example-webhook-secret"
	// webhookRetries and webhookBackoff are the fake's retries of a
	// notification at a webhook shard, short for the example.
	webhookRetries = 1
	webhookBackoff = 100 * time.Millisecond
	// shardEnv holds a shard process's settings (JSON): a process started
	// with it runs as a shard process.
	shardEnv = "CONDUIT_EXAMPLE_SHARD"
	// takeoverLimit bounds the wait for the dead process's shards.
	takeoverLimit = 2 * time.Minute
	// startLimit bounds the wait for the shard processes to start.
	startLimit = time.Minute
)

// Config is the size of a run.
type Config struct {
	Processes  int // shard processes
	ShardsEach int // shards each owns
	Channels   int // channel.follow subscriptions, one per channel
	Events     int // follows sent
	Webhook    bool
}

// Report is what a run measured.
type Report struct {
	Config
	Sent       int           // follows the fake sent to the conduit
	Handled    int           // distinct follows a handler got
	Lost       int           // follows no handler got, sent after the kill
	InFlight   int           // follows sent before the kill that no handler got: the dead process had them
	Twice      int           // follows a handler got more than once
	Dropped    int           // follows the fake dropped: no shard took them (lost and in flight count them too)
	PerProcess []int         // follows each process handled, before the kill
	After      []int         // ... and after
	TakenOver  []string      // "shard 8 by process 0"
	Killed     int           // the process killed
	Takeover   time.Duration // from the kill until every shard was enabled again
}

// TakenOverShards are the shards some process took over, each once,
// sorted.
func (r *Report) TakenOverShards() []string {
	var out []string
	for _, t := range r.TakenOver {
		var shard string
		var p int
		if _, err := fmt.Sscanf(t, "shard %s by process %d", &shard, &p); err == nil && !slices.Contains(out, shard) {
			out = append(out, shard)
		}
	}
	slices.Sort(out)
	return out
}

// Print writes the report for a person.
func (r *Report) Print(w io.Writer) {
	kind := "WebSocket"
	if r.Webhook {
		kind = "webhook"
	}
	logf(w, "\n%d follows sent over a conduit of %d %s shards (%d processes × %d), %d channels:",
		r.Sent, r.Processes*r.ShardsEach, kind, r.Processes, r.ShardsEach, r.Channels)
	for p := range r.PerProcess {
		mark := ""
		if p == r.Killed {
			mark = " (killed halfway)"
		}
		logf(w, "  process %d handled %d before the kill, %d after%s", p, r.PerProcess[p], r.After[p], mark)
	}
	logf(w, "  handled once: %d; handled twice: %d; lost after the kill: %d; lost in the dead process (received, not yet handled): %d; "+
		"of those lost, dropped by the fake (no shard took them): %d",
		r.Handled-r.Twice, r.Twice, r.Lost, r.InFlight, r.Dropped)
	logf(w, "  the dead process's shards were served again %.1f s after the kill (taken over: %s;"+
		" when two processes take one shard, one gives it up)", r.Takeover.Seconds(), strings.Join(r.TakenOver, ", "))
}

// process is a running shard process and what it printed.
type process struct {
	cmd   *exec.Cmd
	ready chan struct{}
	ended chan struct{}
	err   error // what it wrote to stderr, once ended
}

// Coordinate runs the demonstration: the fake, the shard processes (exe,
// which must run ShardProcess when shardEnv is set), the subscriptions,
// the follows and the kill. progress, when not nil, gets a line per step.
func Coordinate(ctx context.Context, cfg Config, exe string, args []string, progress io.Writer) (*Report, error) {
	if progress == nil {
		progress = io.Discard
	}
	if cfg.Processes < 2 || cfg.ShardsEach < 1 || cfg.Channels < 1 || cfg.Events < 2 {
		return nil, fmt.Errorf("conduit: %d processes of %d shards, %d channels, %d events: at least 2 processes, 1 shard, 1 channel and 2 events", cfg.Processes, cfg.ShardsEach, cfg.Channels, cfg.Events)
	}
	if shards := cfg.Processes * cfg.ShardsEach; cfg.Webhook && cfg.Events < 20*shards {
		return nil, fmt.Errorf("conduit: %d events over %d webhook shards: send at least 20 per shard (%d): a dead process's webhook shards go down only once notifications fail at them",
			cfg.Events, shards, 20*shards)
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	srv := twitchtest.NewServer(twitchtest.WithRateLimit(0, 0), twitchtest.WithWebhookRetries(webhookRetries, webhookBackoff))
	defer srv.Close()
	srv.OAuth.AddToken(appToken, twitchtest.TokenInfo{Type: oauth.TokenApp, ClientID: clientID})
	h := helix.New(clientID, srv.Token(appToken), helix.WithBaseURL(srv.Helix.URL), helix.WithHTTPClient(srv.Client()))

	shards := cfg.Processes * cfg.ShardsEach
	created, err := h.CreateConduits(ctx, &helix.CreateConduitsParams{ShardCount: shards})
	if err != nil {
		return nil, err
	}
	conduit := created.Data[0].ID
	logf(progress, "conduit %s with %d shards", conduit, shards)
	subscribe := func(typ, version string, cond any) error {
		raw, err := json.Marshal(cond)
		if err != nil {
			return err
		}
		_, err = h.CreateEventSubSubscription(ctx, &helix.CreateEventSubSubscriptionParams{
			Type: typ, Version: version, Condition: raw,
			Transport: helix.EventSubTransportParams{Method: helix.EventSubTransportMethodConduit, ConduitID: conduit},
		})
		return err
	}
	for ch := range cfg.Channels {
		id := strconv.Itoa(1000 + ch)
		if err := subscribe("channel.follow", "2", eventsub.ChannelFollowCondition{BroadcasterUserID: id, ModeratorUserID: id}); err != nil {
			return nil, fmt.Errorf("conduit: subscribe to channel %s: %w", id, err)
		}
	}
	// conduit.shard.disabled tells the live processes at once when a
	// shard goes down: they take it over sooner than their next read.
	if err := subscribe("conduit.shard.disabled", "1", eventsub.ConduitShardDisabledCondition{ClientID: clientID, ConduitID: conduit}); err != nil {
		return nil, fmt.Errorf("conduit: subscribe to conduit.shard.disabled: %w", err)
	}
	logf(progress, "%d channel.follow subscriptions, and conduit.shard.disabled", cfg.Channels)

	// The shard processes; each line they print is counted here.
	var mu sync.Mutex
	handled := map[int]int{}                    // follow → times handled
	perProcess := make([][2]int, cfg.Processes) // before, after the kill
	killed := -1
	var takenOver []string
	procs := make([]*process, cfg.Processes)
	defer func() {
		for _, p := range procs {
			if p != nil {
				_ = p.cmd.Process.Kill()
				<-p.ended
			}
		}
	}()
	for i := range procs {
		settings, err := json.Marshal(ShardProcess{
			ConduitID:   conduit,
			Shards:      fmt.Sprintf("%d-%d", i*cfg.ShardsEach, (i+1)*cfg.ShardsEach-1),
			EventSubURL: srv.EventSub.URL,
			HelixURL:    srv.Helix.URL,
			ClientID:    clientID,
			Webhook:     cfg.Webhook,
		})
		if err != nil {
			return nil, err
		}
		cmd := exec.CommandContext(ctx, exe, args...)
		cmd.Env = append(os.Environ(), shardEnv+"="+string(settings), appTokenEnv+"="+appToken, secretEnv+"="+webhookSecret)
		stdout, err := cmd.StdoutPipe()
		if err != nil {
			return nil, err
		}
		var stderr strings.Builder
		cmd.Stderr = &limitedWriter{w: &stderr, n: 64 << 10}
		if err := cmd.Start(); err != nil {
			return nil, fmt.Errorf("conduit: start shard process %d: %w", i, err)
		}
		p := &process{cmd: cmd, ready: make(chan struct{}), ended: make(chan struct{})}
		procs[i] = p
		go func() {
			defer close(p.ended)
			sc := bufio.NewScanner(stdout)
			readyOnce := sync.OnceFunc(func() { close(p.ready) })
			for sc.Scan() {
				word, rest, _ := strings.Cut(sc.Text(), " ")
				switch word {
				case "ready":
					readyOnce()
				case "event":
					n, err := strconv.Atoi(rest)
					if err != nil {
						continue
					}
					mu.Lock()
					handled[n]++
					if killed < 0 {
						perProcess[i][0]++
					} else {
						perProcess[i][1]++
					}
					mu.Unlock()
				case "took":
					mu.Lock()
					takenOver = append(takenOver, fmt.Sprintf("shard %s by process %d", rest, i))
					mu.Unlock()
				}
			}
			if err := cmd.Wait(); err != nil && ctx.Err() == nil {
				p.err = fmt.Errorf("%w: %s", err, strings.TrimSpace(stderr.String()))
			}
		}()
	}
	start := time.NewTimer(startLimit)
	defer start.Stop()
	for i, p := range procs {
		select {
		case <-p.ready:
		case <-p.ended:
			return nil, fmt.Errorf("conduit: shard process %d ended before it was ready: %v", i, p.err)
		case <-start.C:
			return nil, fmt.Errorf("conduit: shard process %d was not ready within %v", i, startLimit)
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
	if err := waitEnabled(ctx, srv, conduit, shards, startLimit); err != nil {
		return nil, err
	}
	logf(progress, "%d shard processes running, every shard enabled", cfg.Processes)

	follow := func(n int) error {
		ch := strconv.Itoa(1000 + n%cfg.Channels)
		_, err := srv.EventSub.Notify(&eventsub.ChannelFollowEvent{
			UserID: strconv.Itoa(n), UserLogin: "viewer" + strconv.Itoa(n), UserName: "Viewer" + strconv.Itoa(n),
			BroadcasterUserID: ch, BroadcasterUserLogin: "channel" + ch, BroadcasterUserName: "Channel" + ch,
		})
		return err
	}
	half := cfg.Events / 2
	for n := range half {
		if err := follow(n); err != nil {
			return nil, fmt.Errorf("conduit: follow %d: %w", n, err)
		}
	}
	// Halfway, the last process dies without a word, as a crashed or
	// killed process does: its connections close, Twitch disables its
	// shards, and the others take them over.
	victim := cfg.Processes - 1
	if err := procs[victim].cmd.Process.Kill(); err != nil {
		return nil, fmt.Errorf("conduit: kill shard process %d: %w", victim, err)
	}
	killedAt := time.Now()
	<-procs[victim].ended // what it printed before it died is counted
	procs[victim] = nil
	mu.Lock()
	killed = victim
	mu.Unlock()
	logf(progress, "killed shard process %d (SIGKILL)", victim)
	// Its WebSocket shards go down at once (the kernel closes its
	// connections); Twitch then sends each event to a live shard. Its
	// webhook shards go down only once notifications have failed at its
	// callback. The takeover is timed while the second half is sent.
	down := func(enabled int) bool { return enabled <= shards-cfg.ShardsEach }
	if !cfg.Webhook {
		if err := waitShards(ctx, srv, conduit, shards, startLimit, down); err != nil {
			return nil, err
		}
	}
	var takeover time.Duration
	servedAgain := make(chan error, 1)
	go func() {
		err := waitShards(ctx, srv, conduit, shards, takeoverLimit, down)
		if err == nil {
			err = waitEnabled(ctx, srv, conduit, shards, takeoverLimit)
		}
		takeover = time.Since(killedAt)
		servedAgain <- err
	}()
	for n := half; n < cfg.Events; n++ {
		if err := follow(n); err != nil {
			return nil, fmt.Errorf("conduit: follow %d: %w", n, err)
		}
	}
	if err := <-servedAgain; err != nil {
		return nil, err
	}
	logf(progress, "every shard enabled again, %.1f s after the kill", takeover.Seconds())
	if err := srv.EventSub.WaitDeliveries(ctx); err != nil {
		return nil, err
	}
	// The processes print each follow as their handler gets it; wait until
	// the count stops changing (every delivery has been answered already).
	if err := settle(ctx, &mu, func() int { return len(handled) }); err != nil {
		return nil, err
	}

	mu.Lock()
	defer mu.Unlock()
	r := &Report{Config: cfg, Sent: cfg.Events, Killed: victim, Takeover: takeover, TakenOver: takenOver}
	for n := range cfg.Events {
		switch c := handled[n]; {
		case c == 0 && n < half:
			r.InFlight++
		case c == 0:
			r.Lost++
		case c > 1:
			r.Twice++
		}
		if handled[n] > 0 {
			r.Handled++
		}
	}
	for _, d := range srv.EventSub.Deliveries() {
		if d.MessageType == "notification" && d.SubscriptionType == "channel.follow" && d.State == twitchtest.DeliveryFailed {
			r.Dropped++
		}
	}
	for _, pp := range perProcess {
		r.PerProcess = append(r.PerProcess, pp[0])
		r.After = append(r.After, pp[1])
	}
	return r, nil
}

// waitEnabled waits until every shard of the conduit is enabled.
func waitEnabled(ctx context.Context, srv *twitchtest.Server, conduit string, shards int, limit time.Duration) error {
	return waitShards(ctx, srv, conduit, shards, limit, func(enabled int) bool { return enabled == shards })
}

// waitShards waits until done says yes to the number of enabled shards of
// the conduit, reading the fake's shards every 50 ms.
func waitShards(ctx context.Context, srv *twitchtest.Server, conduit string, shards int, limit time.Duration, done func(enabled int) bool) error {
	deadline := time.Now().Add(limit)
	tick := time.NewTicker(50 * time.Millisecond)
	defer tick.Stop()
	for {
		list, err := srv.EventSub.Shards(conduit)
		if err != nil {
			return err
		}
		enabled := 0
		for _, s := range list {
			if s.Status == string(helix.ConduitShardStatusEnabled) {
				enabled++
			}
		}
		if done(enabled) {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("conduit: %d of %d shards enabled after %v", enabled, shards, limit)
		}
		select {
		case <-tick.C:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}

// settle waits until count has not changed for half a second, at most a
// minute.
func settle(ctx context.Context, mu *sync.Mutex, count func() int) error {
	last, since := -1, time.Now()
	tick := time.NewTicker(50 * time.Millisecond)
	defer tick.Stop()
	for deadline := time.Now().Add(time.Minute); time.Now().Before(deadline); {
		mu.Lock()
		n := count()
		mu.Unlock()
		if n != last {
			last, since = n, time.Now()
		} else if time.Since(since) > 500*time.Millisecond {
			return nil
		}
		select {
		case <-tick.C:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	return errors.New("conduit: the shard processes kept printing for a minute")
}

// limitedWriter keeps the first n bytes written to it.
type limitedWriter struct {
	w io.Writer
	n int
}

func (l *limitedWriter) Write(p []byte) (int, error) {
	if l.n > 0 {
		k := min(len(p), l.n)
		l.n -= k
		_, _ = l.w.Write(p[:k])
	}
	return len(p), nil
}
