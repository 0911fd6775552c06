package webui_test

import (
	"context"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"regexp"
	goruntime "runtime"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/tandem-cluster/tandem/services/gateway/webui"
)

var csrfField = regexp.MustCompile(`name="csrf" value="([^"]+)"`)

// demoBrowser signs in as a demo user with the sign-in form and returns a
// client that keeps the session and does not follow redirects.
func demoBrowser(t *testing.T, base, user string) *http.Client {
	t.Helper()
	jar, _ := cookiejar.New(nil)
	c := &http.Client{Jar: jar, Transport: &http.Transport{}, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	t.Cleanup(c.CloseIdleConnections)
	res, err := c.Get(base + "/login")
	if err != nil {
		t.Fatal(err)
	}
	page, _ := io.ReadAll(res.Body)
	res.Body.Close()
	m := csrfField.FindSubmatch(page)
	if m == nil {
		t.Fatal("no form token on the sign-in page")
	}
	res, err = c.PostForm(base+"/login", url.Values{"csrf": {string(m[1])}, "user": {user}, "next": {"/"}})
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusSeeOther {
		t.Fatalf("sign in as %s = %s", user, res.Status)
	}
	return c
}

// liveStream is one open /searches/live.
type liveStream struct {
	res    *http.Response
	cancel context.CancelFunc
}

func openLive(t *testing.T, c *http.Client, base string) liveStream {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, base+"/searches/live", nil)
	res, err := c.Do(req)
	if err != nil {
		cancel()
		t.Fatal(err)
	}
	return liveStream{res: res, cancel: cancel}
}

func (s liveStream) close() {
	s.cancel()
	_ = s.res.Body.Close()
}

// eventually polls cond until it holds or a generous deadline passes.
func eventually(t *testing.T, what string, cond func() (bool, string)) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		ok, state := cond()
		if ok {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s: still %s", what, state)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// TestLiveStreamsAreReleased opens and drops live match streams in rounds:
// while open, each holds a consumer on the matching stream; once the
// browser goes away, the consumers and the goroutines of both the
// gateway and the matching service return to where they were.
func TestLiveStreamsAreReleased(t *testing.T) {
	// Neither bound of a user's streams is under test here.
	s := startStack(t, func(o *webui.Options) { o.StreamOpensPerMinute, o.StreamsPerUser = 100000, 100 })
	c := demoBrowser(t, s.URL, "company")
	ctx := context.Background()
	// The consumers of match streams, told apart from the notification
	// feed's by their filter.
	consumers := func() int {
		st, err := s.JS.Stream(ctx, "TANDEM_MATCHING")
		if err != nil {
			t.Fatal(err)
		}
		n := 0
		list := st.ListConsumers(ctx)
		for info := range list.Info() {
			if slices.Contains(info.Config.FilterSubjects, "tandem.matching.v1.match.found.>") || info.Config.FilterSubject == "tandem.matching.v1.match.found.>" {
				n++
			}
		}
		if err := list.Err(); err != nil {
			t.Fatal(err)
		}
		return n
	}
	// One round first, so connections the stack keeps are in the baseline.
	first := openLive(t, c, s.URL)
	first.close()
	c.CloseIdleConnections()
	const baseConsumers = 0
	eventually(t, "consumers after the first stream", func() (bool, string) {
		n := consumers()
		return n == baseConsumers, "at " + strconv.Itoa(n)
	})
	baseGoroutines := goruntime.NumGoroutine()

	const rounds, perRound = 15, 3
	for round := range rounds {
		var open []liveStream
		for range perRound {
			st := openLive(t, c, s.URL)
			if st.res.StatusCode != http.StatusOK {
				t.Fatalf("round %d: /searches/live = %s", round, st.res.Status)
			}
			open = append(open, st)
		}
		eventually(t, "consumers of open streams", func() (bool, string) {
			n := consumers()
			return n == baseConsumers+perRound, strings.Repeat("+", max(0, n-baseConsumers))
		})
		for _, st := range open {
			st.close()
		}
		eventually(t, "consumers after the browser left", func() (bool, string) {
			n := consumers()
			return n == baseConsumers, "at " + strconv.Itoa(n) + ", baseline " + strconv.Itoa(baseConsumers)
		})
	}
	c.CloseIdleConnections()
	// A leak of even one goroutine per stream would leave rounds*perRound
	// behind; the slack is for the stack's own background work.
	const slack = rounds * perRound / 3
	eventually(t, "goroutines after every stream closed", func() (bool, string) {
		n := goruntime.NumGoroutine()
		return n <= baseGoroutines+slack, "at " + strconv.Itoa(n) + ", baseline " + strconv.Itoa(baseGoroutines)
	})
}

// TestLiveStreamsAreCapped: a user gets at most three live streams at
// once; the fourth is refused with 429 and Retry-After until one ends.
func TestLiveStreamsAreCapped(t *testing.T) {
	s := startStack(t)
	c := demoBrowser(t, s.URL, "company")
	var open []liveStream
	for range 3 {
		st := openLive(t, c, s.URL)
		if st.res.StatusCode != http.StatusOK {
			t.Fatalf("/searches/live = %s", st.res.Status)
		}
		open = append(open, st)
	}
	st := openLive(t, c, s.URL)
	if st.res.StatusCode != http.StatusTooManyRequests || st.res.Header.Get("Retry-After") == "" {
		t.Fatalf("fourth stream = %s, Retry-After %q; want 429 with Retry-After", st.res.Status, st.res.Header.Get("Retry-After"))
	}
	st.close()
	// Another user is not held back by the first one's streams.
	other := openLive(t, demoBrowser(t, s.URL, "researcher"), s.URL)
	if other.res.StatusCode != http.StatusOK {
		t.Fatalf("another user's stream = %s", other.res.Status)
	}
	other.close()
	open[0].close()
	eventually(t, "a place after a stream ended", func() (bool, string) {
		st := openLive(t, c, s.URL)
		defer st.close()
		return st.res.StatusCode == http.StatusOK, st.res.Status
	})
	for _, st := range open[1:] {
		st.close()
	}
}

// TestLiveStreamOpeningsAreRateLimited: a browser reopening its stream in
// a loop is told to wait.
func TestLiveStreamOpeningsAreRateLimited(t *testing.T) {
	s := startStack(t, func(o *webui.Options) { o.StreamOpensPerMinute, o.StreamsPerUser = 6, 100 })
	c := demoBrowser(t, s.URL, "company")
	for i := range 20 {
		st := openLive(t, c, s.URL)
		code, retry := st.res.StatusCode, st.res.Header.Get("Retry-After")
		st.close()
		if code == http.StatusTooManyRequests {
			if retry == "" {
				t.Fatal("429 without Retry-After")
			}
			if i == 0 {
				t.Fatal("the first opening was refused")
			}
			return
		}
	}
	t.Fatal("20 openings in a row were all let through at 6 a minute")
}
