// Command compat-go is the Go driver of Atoll's differential compatibility
// suite (tests/compat/README.md): franz-go (kgo, kadm) and Sarama scenarios
// run against one broker, one JSON line of observations per scenario.
//
//	compat-go --bootstrap HOST:PORT --prefix PREFIX [--list] [SCENARIO ...]
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"log"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/IBM/sarama"
)

// scenarioTimeout bounds one scenario's own waits; the runner gives it a
// little longer before declaring it hung and moving on.
const (
	scenarioTimeout = 30 * time.Second
	hangGrace       = 10 * time.Second
)

// M is one JSON object of observations; encoding/json sorts its keys.
type M = map[string]any

// scenario is one named case; run returns its observations.
type scenario struct {
	name string
	run  func(s *S) (any, error)
}

// S is what a scenario runs with: its context, names and cleanups.
type S struct {
	Ctx       context.Context
	Bootstrap string
	Name      string
	base      string

	mu       sync.Mutex
	cleanups []func()
}

// N names a topic, group or other resource of this scenario: the prefix,
// the scenario's name with dots as dashes, then "-suffix" when given.
func (s *S) N(suffix string) string {
	if suffix == "" {
		return s.base
	}
	return s.base + "-" + suffix
}

// Defer registers a cleanup, run in reverse order when the scenario ends.
func (s *S) Defer(f func()) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.cleanups = append(s.cleanups, f)
}

func (s *S) cleanup() {
	s.mu.Lock()
	cs := s.cleanups
	s.cleanups = nil
	s.mu.Unlock()
	for i := len(cs) - 1; i >= 0; i-- {
		func() {
			defer func() {
				if r := recover(); r != nil {
					logf("%s: cleanup panicked: %v", s.Name, r)
				}
			}()
			cs[i]()
		}()
	}
}

func logf(format string, args ...any) {
	fmt.Fprintf(os.Stderr, format+"\n", args...)
}

func allScenarios() []scenario {
	var all []scenario
	all = append(all, franzProducerScenarios()...)
	all = append(all, franzConsumerScenarios()...)
	all = append(all, franzAdminScenarios()...)
	all = append(all, franzTxnScenarios()...)
	all = append(all, saramaProducerScenarios()...)
	all = append(all, saramaConsumerScenarios()...)
	all = append(all, saramaAdminScenarios()...)
	return all
}

type result struct {
	obs any
	err error
}

func runOne(sc scenario, bootstrap, prefix string) M {
	ctx, cancel := context.WithTimeout(context.Background(), scenarioTimeout)
	defer cancel()
	s := &S{
		Ctx:       ctx,
		Bootstrap: bootstrap,
		Name:      sc.name,
		base:      prefix + strings.ReplaceAll(sc.name, ".", "-"),
	}
	done := make(chan result, 1)
	go func() {
		var r result
		defer func() {
			if p := recover(); p != nil {
				r = result{err: fmt.Errorf("panic: %v", p)}
			}
			done <- r
		}()
		defer s.cleanup()
		r.obs, r.err = sc.run(s)
	}()
	var r result
	select {
	case r = <-done:
	case <-time.After(scenarioTimeout + hangGrace):
		cancel()
		return M{"scenario": sc.name, "failed": "Timeout: scenario did not finish in time"}
	}
	if r.err != nil {
		return M{"scenario": sc.name, "failed": fmt.Sprintf("%T: %v", r.err, r.err)}
	}
	return M{"scenario": sc.name, "observations": r.obs}
}

func main() {
	bootstrap := flag.String("bootstrap", "", "HOST:PORT of the broker")
	prefix := flag.String("prefix", "", "prefix of every topic and group name")
	list := flag.Bool("list", false, "print the scenario names and exit")
	flag.Parse()

	if os.Getenv("COMPAT_GO_DEBUG") != "" {
		sarama.Logger = log.New(os.Stderr, "[sarama] ", log.LstdFlags|log.Lmicroseconds)
	}
	all := allScenarios()
	if *list {
		for _, sc := range all {
			fmt.Println(sc.name)
		}
		return
	}
	if *bootstrap == "" {
		logf("--bootstrap is required")
		os.Exit(2)
	}
	byName := make(map[string]scenario, len(all))
	for _, sc := range all {
		byName[sc.name] = sc
	}
	selected := all
	if flag.NArg() > 0 {
		selected = nil
		for _, n := range flag.Args() {
			sc, ok := byName[n]
			if !ok {
				logf("unknown scenario %q", n)
				os.Exit(2)
			}
			selected = append(selected, sc)
		}
	}
	enc := json.NewEncoder(os.Stdout)
	enc.SetEscapeHTML(false)
	for _, sc := range selected {
		start := time.Now()
		line := runOne(sc, *bootstrap, *prefix)
		logf("%s: %.2fs", sc.name, time.Since(start).Seconds())
		if err := enc.Encode(line); err != nil {
			logf("%s: cannot encode observations: %v", sc.name, err)
			_ = enc.Encode(M{"scenario": sc.name, "failed": fmt.Sprintf("%T: %v", err, err)})
		}
	}
}
