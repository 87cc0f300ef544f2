// Command conduit runs a small bot as three processes sharing one
// conduit, against twitchtest, the fake Twitch in this module: it needs no
// network beyond loopback and no Twitch account. It starts the fake and
// three shard processes (this program again, each serving two of the
// conduit's six shards), sends follows that the fake spreads over the
// shards, kills one process (SIGKILL), shows the two others take its
// shards over, and sends follows again: none is lost, none handled twice.
//
//	go run ./examples/conduit
//
// Against Twitch, drop the fake: give each process the application's
// client ID, an app access token (oauth's app token source), the
// conduit's ID and its shards (eventsub.WithShards), and no URLs.
package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"log"
	"os"
	"os/exec"
	"os/signal"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"golang.org/x/oauth2"

	"github.com/twitchify-go/twitch/eventsub"
	"github.com/twitchify-go/twitch/helix"
	"github.com/twitchify-go/twitch/oauth"
	"github.com/twitchify-go/twitch/twitchtest"
)

const (
	clientID  = "my-client-id"
	appToken  = "my-app-token"
	shards    = 6
	processes = 3
	follows   = 30 // sent before the kill, and as many after
)

// The environment of a shard process.
const (
	envServe    = "CONDUIT_EXAMPLE_SERVE" // the shards it serves: "0-1"
	envConduit  = "CONDUIT_EXAMPLE_CONDUIT"
	envHelix    = "CONDUIT_EXAMPLE_HELIX"
	envEventSub = "CONDUIT_EXAMPLE_EVENTSUB"
)

func main() {
	if os.Getenv(envServe) != "" {
		if err := serve(os.Stdout); err != nil {
			log.Fatal(err)
		}
		return
	}
	if err := run(context.Background(), os.Stdout); err != nil {
		log.Fatal(err)
	}
}

// serve is a shard process: a Conduit serving its shards, printing a line
// for each follow it handles and for each change of the shards it serves,
// until it is interrupted.
func serve(out io.Writer) error {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	var mu sync.Mutex
	say := func(format string, args ...any) {
		mu.Lock()
		defer mu.Unlock()
		fmt.Fprintf(out, format+"\n", args...)
	}
	h := helix.New(clientID, oauth2.StaticTokenSource(&oauth2.Token{AccessToken: appToken}), helix.WithBaseURL(os.Getenv(envHelix)))
	c := eventsub.NewConduit(h,
		eventsub.WithConduitID(os.Getenv(envConduit)),
		eventsub.WithShards(os.Getenv(envServe)),
		eventsub.WithBaseURL(os.Getenv(envEventSub)),
		eventsub.OnReady(func() { say("ready") }),
		eventsub.OnError(func(err error) { say("error %v", err) }))
	c.OnChannelFollow(func(_ context.Context, e *eventsub.ChannelFollowEvent) { say("follow %s", e.UserID) })
	// Every process subscribes to the same: the first to get there makes
	// the subscriptions, the others find them.
	for _, b := range []string{"1001", "1002", "1003"} {
		if err := c.Subscribe(ctx, &eventsub.ChannelFollowCondition{BroadcasterUserID: b, ModeratorUserID: b}); err != nil {
			return err
		}
	}
	go func() {
		last := ""
		for ctx.Err() == nil {
			var ids []string
			for _, s := range c.Shards() {
				if s.Session != "" {
					ids = append(ids, s.ID)
				}
			}
			if now := strings.Join(ids, ","); now != last {
				say("shards %s", now)
				last = now
			}
			select {
			case <-ctx.Done():
			case <-time.After(100 * time.Millisecond):
			}
		}
	}()
	if err := c.Run(ctx); !errors.Is(err, context.Canceled) {
		return err
	}
	return nil
}

// process is a shard process, seen from run.
type process struct {
	name string
	cmd  *exec.Cmd
	done chan struct{} // closed when its output has been read to the end
}

// stop interrupts p and waits until it has exited.
func (p *process) stop() {
	_ = p.cmd.Process.Signal(os.Interrupt)
	<-p.done
	_ = p.cmd.Wait()
}

// run is the demo: the fake, three shard processes, follows, a kill, a
// takeover, follows again.
func run(ctx context.Context, out io.Writer) error {
	fake := twitchtest.NewServer(twitchtest.WithShardRoundRobin())
	defer fake.Close()
	fake.OAuth.AddToken(appToken, twitchtest.TokenInfo{Type: oauth.TokenApp, ClientID: clientID})
	h := helix.New(clientID, fake.Token(appToken), helix.WithBaseURL(fake.Helix.URL))
	created, err := h.CreateConduits(ctx, &helix.CreateConduitsParams{ShardCount: shards})
	if err != nil {
		return err
	}
	conduit := created.Data[0].ID
	fmt.Fprintf(out, "conduit of %d shards\n", shards)

	// What the processes print, gathered: the follows each handled, and
	// the shards each serves.
	var mu sync.Mutex
	handled := map[string][]string{} // user ID: the processes that handled it
	serving := map[string]string{}   // process: its shards, "0,1"
	ready := make(chan string, processes)
	changed := make(chan struct{}, 1)
	onLine := func(p *process, line string) {
		verb, arg, _ := strings.Cut(line, " ")
		mu.Lock()
		switch verb {
		case "ready":
			ready <- p.name
		case "follow":
			handled[arg] = append(handled[arg], p.name)
		case "shards":
			serving[p.name] = arg
		case "error":
			fmt.Fprintf(out, "%s: %s\n", p.name, line)
		}
		mu.Unlock()
		select {
		case changed <- struct{}{}:
		default:
		}
	}

	self, err := os.Executable()
	if err != nil {
		return err
	}
	var all, live []*process
	defer func() {
		for _, p := range live {
			p.stop()
		}
	}()
	per := shards / processes
	for i := range processes {
		owned := fmt.Sprintf("%d-%d", i*per, i*per+per-1)
		p, err := start(self, fmt.Sprintf("p%d", i+1), owned, conduit, fake, onLine)
		if err != nil {
			return err
		}
		all, live = append(all, p), append(live, p)
		fmt.Fprintf(out, "%s serves shards %s\n", p.name, owned)
	}
	for range processes {
		select {
		case <-ready:
		case <-time.After(30 * time.Second):
			return errors.New("the shard processes did not get ready within 30 s")
		}
	}

	// waitFor waits until cond holds over what the processes printed.
	waitFor := func(what string, within time.Duration, cond func() bool) error {
		deadline := time.After(within)
		for {
			mu.Lock()
			ok := cond()
			mu.Unlock()
			if ok {
				return nil
			}
			select {
			case <-changed:
			case <-deadline:
				return fmt.Errorf("%s: not within %v", what, within)
			}
		}
	}
	// send sends follows from users from to to-1, to the three
	// broadcasters in turn, and waits until each has been handled.
	send := func(from, to int) error {
		for u := from; u < to; u++ {
			b := strconv.Itoa(1001 + u%3)
			if _, err := fake.EventSub.Notify(&eventsub.ChannelFollowEvent{
				UserID: strconv.Itoa(u), UserLogin: "viewer", UserName: "Viewer",
				BroadcasterUserID: b, BroadcasterUserLogin: "b" + b, BroadcasterUserName: "B" + b,
				FollowedAt: eventsub.Time{Time: time.Now()},
			}); err != nil {
				return err
			}
		}
		return waitFor("the follows handled", 30*time.Second, func() bool {
			for u := from; u < to; u++ {
				if len(handled[strconv.Itoa(u)]) == 0 {
					return false
				}
			}
			return true
		})
	}
	// spread says how many of the follows from to to-1 each process
	// handled.
	spread := func(from, to int) string {
		mu.Lock()
		defer mu.Unlock()
		count := map[string]int{}
		for u := from; u < to; u++ {
			for _, p := range handled[strconv.Itoa(u)] {
				count[p]++
			}
		}
		var parts []string
		for _, p := range all {
			parts = append(parts, fmt.Sprintf("%s %d", p.name, count[p.name]))
		}
		return strings.Join(parts, ", ")
	}

	if err := send(0, follows); err != nil {
		return err
	}
	fmt.Fprintf(out, "%d follows handled: %s\n", follows, spread(0, follows))

	victim := live[1]
	if err := victim.cmd.Process.Kill(); err != nil {
		return err
	}
	killed := time.Now()
	<-victim.done
	_ = victim.cmd.Wait()
	live = slices.Delete(live, 1, 2)
	fmt.Fprintf(out, "killed %s (SIGKILL)\n", victim.name)
	err = waitFor("the takeover", time.Minute, func() bool {
		n := 0
		for _, p := range live {
			if s := serving[p.name]; s != "" {
				n += len(strings.Split(s, ","))
			}
		}
		return n == shards
	})
	if err != nil {
		return err
	}
	took := time.Since(killed)
	fmt.Fprintf(out, "every shard served again, within 30 s of the kill: %v\n", took < 30*time.Second)
	log.Printf("conduit: the shards of %s were served again %.1f s after the kill", victim.name, took.Seconds())

	if err := send(follows, 2*follows); err != nil {
		return err
	}
	fmt.Fprintf(out, "%d follows handled: %s\n", follows, spread(follows, 2*follows))
	mu.Lock()
	twice := 0
	for _, ps := range handled {
		if len(ps) > 1 {
			twice++
		}
	}
	fmt.Fprintf(out, "%d follows sent, %d handled, %d handled twice\n", 2*follows, len(handled), twice)
	mu.Unlock()
	return nil
}

// start starts a shard process serving the shards owned; onLine gets each
// line it prints.
func start(self, name, owned, conduit string, fake *twitchtest.Server, onLine func(*process, string)) (*process, error) {
	cmd := exec.Command(self)
	cmd.Env = append(os.Environ(),
		envServe+"="+owned, envConduit+"="+conduit, envHelix+"="+fake.Helix.URL, envEventSub+"="+fake.EventSub.URL)
	cmd.Stderr = os.Stderr
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	p := &process{name: name, cmd: cmd, done: make(chan struct{})}
	go func() {
		defer close(p.done)
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			onLine(p, sc.Text())
		}
	}()
	return p, nil
}
