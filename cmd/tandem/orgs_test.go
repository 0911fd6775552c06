package main

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/tandem-cluster/tandem/pkg/runtime/runtimetest"
	"github.com/tandem-cluster/tandem/services/profiles"
)

func startProfiles(t *testing.T) map[string]string {
	t.Helper()
	cfg := profiles.DefaultConfig()
	cfg.Common = runtimetest.Common(t)
	return map[string]string{"profiles": runtimetest.Start(t, profiles.Options(cfg)).Target()}
}

type orgJSON struct {
	Organization struct {
		ID      string
		Name    string
		Website string
		Version string // int64 travels as a string in protobuf JSON
	}
}

// TestOrgsLifecycle creates, reads, updates (and fails on a stale version),
// lists and erases an organisation through the CLI.
func TestOrgsLifecycle(t *testing.T) {
	addrs := startProfiles(t)
	tok := adminToken(t)
	create := []string{"orgs", "create", "--name", "Area Science Park", "--kind", "science-park", "--country", "IT", "--nuts", "ITH44", "--city", "Trieste", "--sector", "biotechnology"}
	var first, again orgJSON
	cli(t, addrs, tok, &first, create...)
	cli(t, addrs, tok, &again, create...)
	if first.Organization.ID == "" || again.Organization.ID != first.Organization.ID {
		t.Fatalf("running create twice gave %q and %q, want one organisation", first.Organization.ID, again.Organization.ID)
	}
	id := first.Organization.ID

	var updated orgJSON
	cli(t, addrs, tok, &updated, "orgs", "update", id, "--version", "1", "--website", "https://www.areasciencepark.it")
	if updated.Organization.Website != "https://www.areasciencepark.it" || updated.Organization.Version != "2" {
		t.Fatalf("update gave %+v", updated.Organization)
	}
	code, _, errOut := execute(context.Background(), "--token", tok, "--token-file", "", "--profiles-addr", addrs["profiles"],
		"orgs", "update", id, "--version", "1", "--city", "Basovizza")
	if code != exitConflict || !strings.Contains(errOut.String(), "conflict") {
		t.Fatalf("stale update: exit %d, %q; want %d and a conflict", code, errOut, exitConflict)
	}
	code, _, errOut = execute(context.Background(), "--token", tok, "--token-file", "", "--profiles-addr", addrs["profiles"],
		"orgs", "create", "--name", "No Country", "--kind", "company", "--country", "XX")
	if code != exitUsage || !strings.Contains(errOut.String(), "country") {
		t.Fatalf("invalid create: exit %d, %q; want %d naming the field", code, errOut, exitUsage)
	}

	out := cli(t, addrs, tok, nil, "orgs", "list", "--region", "ITH4")
	if !strings.Contains(out, id) {
		t.Fatalf("list lacks %s:\n%s", id, out)
	}
	cli(t, addrs, tok, nil, "orgs", "erase", id, "--reason", "test")
	code, _, _ = execute(context.Background(), "--token", tok, "--token-file", "", "--profiles-addr", addrs["profiles"], "orgs", "get", id)
	if code != exitNotFound {
		t.Fatalf("get after erase: exit %d, want %d", code, exitNotFound)
	}
}

// TestImportOrganizationsTwice imports a CSV twice: the second run creates
// nothing new, and a bad row is reported with its reason.
func TestImportOrganizationsTwice(t *testing.T) {
	addrs := startProfiles(t)
	tok := adminToken(t)
	csv := "name,kind,country_code,nuts_code,city\n" +
		"SISSA,university,IT,ITH44,Trieste\n" +
		"Università degli Studi di Udine,university,IT,ITH42,Udine\n" +
		"Broken,company,IT,FR10,Nowhere\n"
	file := filepath.Join(t.TempDir(), "orgs.csv")
	if err := os.WriteFile(file, []byte(csv), 0o600); err != nil {
		t.Fatal(err)
	}
	for run := 1; run <= 2; run++ {
		code, out, errOut := execute(context.Background(), "--token", tok, "--token-file", "", "--profiles-addr", addrs["profiles"],
			"import", "organizations", file)
		if code != exitUsage || !strings.Contains(out.String()+errOut.String(), "1 of 3 rows rejected") {
			t.Fatalf("run %d: exit %d\n%s\n%s", run, code, out, errOut)
		}
		if !strings.Contains(out.String(), "nuts") {
			t.Errorf("run %d: the rejected row's reason does not name the NUTS field:\n%s", run, out)
		}
	}
	var list struct{ Organizations []struct{ Name string } }
	cli(t, addrs, tok, &list, "orgs", "list")
	if len(list.Organizations) != 2 {
		t.Fatalf("after two imports there are %d organisations, want 2: %+v", len(list.Organizations), list.Organizations)
	}
}

// TestPeopleLifecycle: a person is created, updated at the current version
// when none is given, refused at a stale one, and erased.
func TestPeopleLifecycle(t *testing.T) {
	addrs := startProfiles(t)
	tok := adminToken(t)
	var org orgJSON
	cli(t, addrs, tok, &org, "orgs", "create", "--name", "SISSA", "--kind", "university", "--country", "IT", "--nuts", "ITH44")
	var person struct {
		Person struct{ ID, Role, Version string }
	}
	cli(t, addrs, tok, &person, "people", "create", "--organization", org.Organization.ID, "--name", "Ada Rossi",
		"--orcid", "0000-0002-1825-0097", "--role", "postdoc")
	id := person.Person.ID
	cli(t, addrs, tok, &person, "people", "update", id, "--role", "group leader")
	if person.Person.Role != "group leader" || person.Person.Version != "2" {
		t.Fatalf("update gave %+v", person.Person)
	}
	code, _, errOut := execute(context.Background(), "--token", tok, "--token-file", "", "--profiles-addr", addrs["profiles"],
		"people", "update", id, "--version", "1", "--role", "professor")
	if code != exitConflict {
		t.Fatalf("stale update: exit %d, %q; want %d", code, errOut, exitConflict)
	}
	cli(t, addrs, tok, nil, "people", "erase", id)
	if code, _, _ := execute(context.Background(), "--token", tok, "--token-file", "", "--profiles-addr", addrs["profiles"], "people", "get", id); code != exitNotFound {
		t.Fatalf("get after erase: exit %d, want %d", code, exitNotFound)
	}
}
