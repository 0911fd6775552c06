// Command rootfs lays out the files that a Tandem service image holds
// besides its binary: CA certificates, the time-zone database as files, an
// unprivileged user and an empty /tmp. make images calls it; the files come
// from the build machine (CA bundle) and from the Go toolchain (zoneinfo),
// never from the network, and get a fixed modification time so that two
// builds of the same commit give the same layer.
package main

import (
	"archive/zip"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"
)

// User and group the services run as (the same id as distroless "nonroot").
const uid = 65532

func main() {
	out := flag.String("out", "", "folder to lay the root filesystem into (created)")
	ca := flag.String("ca", "/etc/ssl/certs/ca-certificates.crt", "CA certificate bundle to copy")
	zoneinfo := flag.String("zoneinfo", "", "the Go toolchain's lib/time/zoneinfo.zip")
	flag.Parse()
	if err := run(*out, *ca, *zoneinfo); err != nil {
		fmt.Fprintln(os.Stderr, "rootfs:", err)
		os.Exit(1)
	}
}

func run(out, ca, zoneinfo string) error {
	if out == "" || zoneinfo == "" {
		return errors.New("-out and -zoneinfo are required")
	}
	for _, d := range []string{"etc/ssl/certs", "usr/share/zoneinfo", "tmp"} {
		if err := os.MkdirAll(filepath.Join(out, d), 0o755); err != nil {
			return err
		}
	}
	if err := os.Chmod(filepath.Join(out, "tmp"), 0o1777|os.ModeSticky); err != nil {
		return err
	}
	files := map[string]string{
		"etc/passwd":        fmt.Sprintf("root:x:0:0:root:/root:/sbin/nologin\nnonroot:x:%d:%d:nonroot:/home/nonroot:/sbin/nologin\n", uid, uid),
		"etc/group":         fmt.Sprintf("root:x:0:\nnonroot:x:%d:\n", uid),
		"etc/nsswitch.conf": "hosts: files dns\n",
		// Kubernetes and compose mount their own; this one serves a plain
		// container runtime, where "localhost" must not go to DNS.
		"etc/hosts": "127.0.0.1\tlocalhost\n::1\tlocalhost\n",
	}
	for name, body := range files {
		if err := os.WriteFile(filepath.Join(out, name), []byte(body), 0o644); err != nil {
			return err
		}
	}
	if err := copyFile(ca, filepath.Join(out, "etc/ssl/certs/ca-certificates.crt")); err != nil {
		return fmt.Errorf("CA certificates: %w", err)
	}
	if err := unzipTo(zoneinfo, filepath.Join(out, "usr/share/zoneinfo")); err != nil {
		return fmt.Errorf("zoneinfo: %w", err)
	}
	// One modification time for every file: reproducible layers.
	epoch := time.Unix(0, 0)
	return filepath.Walk(out, func(p string, _ os.FileInfo, err error) error {
		if err != nil {
			return err
		}
		return os.Chtimes(p, epoch, epoch)
	})
}

func copyFile(from, to string) error {
	in, err := os.Open(from)
	if err != nil {
		return err
	}
	defer in.Close()
	o, err := os.OpenFile(to, os.O_CREATE|os.O_WRONLY|os.O_TRUNC, 0o644)
	if err != nil {
		return err
	}
	if _, err := io.Copy(o, in); err != nil {
		o.Close()
		return err
	}
	return o.Close()
}

// unzipTo writes the Go toolchain's zoneinfo.zip out as the usual tree of
// TZif files (Europe/Rome, ...), which Go and other readers find there.
func unzipTo(zipPath, dir string) error {
	z, err := zip.OpenReader(zipPath)
	if err != nil {
		return err
	}
	defer z.Close()
	root, err := os.OpenRoot(dir)
	if err != nil {
		return err
	}
	defer root.Close()
	for _, f := range z.File {
		if f.FileInfo().IsDir() {
			continue
		}
		if err := root.MkdirAll(filepath.Dir(f.Name), 0o755); err != nil {
			return err
		}
		if err := extract(root, f); err != nil {
			return fmt.Errorf("%s: %w", f.Name, err)
		}
	}
	return nil
}

func extract(root *os.Root, f *zip.File) error {
	r, err := f.Open()
	if err != nil {
		return err
	}
	defer r.Close()
	w, err := root.OpenFile(f.Name, os.O_CREATE|os.O_WRONLY|os.O_TRUNC, 0o644)
	if err != nil {
		return err
	}
	if _, err := io.Copy(w, r); err != nil {
		w.Close()
		return err
	}
	return w.Close()
}
