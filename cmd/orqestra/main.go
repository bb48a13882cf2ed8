// Command orqestra is the Orqestra notification engine and its admin CLI.
//
//	orqestra serve                      run the engine
//	orqestra tenant create --name Acme  create a tenant and print its API key
//	orqestra template set ...           create or update a template
//
// Run "orqestra help" for every command.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"sort"
	"syscall"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := run(ctx, os.Args[1:], os.Getenv, os.Stdin, os.Stdout, os.Stderr)
	stop()
	if err != nil {
		if !errors.Is(err, errUsage) && !errors.Is(err, flag.ErrHelp) {
			fmt.Fprintln(os.Stderr, "orqestra:", err)
		}
		if errors.Is(err, flag.ErrHelp) {
			os.Exit(0)
		}
		os.Exit(exitCode(err))
	}
}

// env is what a command gets from the operating system.
type env struct {
	args   []string // the arguments after the command name
	getenv func(string) string
	stdin  io.Reader
	stdout io.Writer
	stderr io.Writer
}

type command struct {
	summary string
	run     func(ctx context.Context, e env) error
}

// commands lists every subcommand.
var commands = map[string]command{
	"serve":    {"run the engine (HTTP API, WebSocket, delivery workers)", runServe},
	"migrate":  {"create or upgrade the database schema, then exit", runMigrate},
	"tenant":   {"create, list, update, disable and enable tenants", runTenant},
	"apikey":   {"create, list and revoke a tenant's API keys", runAPIKey},
	"template": {"set, list, activate and deactivate templates", runTemplate},
	"trigger":  {"send one event through the Go SDK (signed, idempotent, retried)", runTrigger},
	"admin":    {"admin UI: reset-token makes a new sign-in token", runAdmin},
	"provider": {"add, list, remove and test delivery providers (SMTP, SendGrid, Twilio, ...)", runProvider},
	"bench":    {"load-test a running engine and report throughput and latency", runBench},
}

// errUsage marks an error whose message was already printed with usage.
var errUsage = errors.New("usage")

// exitError carries a specific exit code.
type exitError struct {
	code int
	err  error
}

func (e *exitError) Error() string { return e.err.Error() }
func (e *exitError) Unwrap() error { return e.err }

func exitCode(err error) int {
	var ee *exitError
	if errors.As(err, &ee) {
		return ee.code
	}
	if errors.Is(err, errUsage) {
		return 2
	}
	return 1
}

// run is the whole program; main only supplies the operating system.
func run(ctx context.Context, args []string, getenv func(string) string, stdin io.Reader, stdout, stderr io.Writer) error {
	if len(args) == 0 || args[0] == "help" || args[0] == "-h" || args[0] == "--help" {
		usage(stdout)
		if len(args) == 0 {
			return errUsage
		}
		return nil
	}
	cmd, ok := commands[args[0]]
	if !ok {
		fmt.Fprintf(stderr, "orqestra: unknown command %q\n\n", args[0])
		usage(stderr)
		return errUsage
	}
	return cmd.run(ctx, env{args: args[1:], getenv: getenv, stdin: stdin, stdout: stdout, stderr: stderr})
}

func usage(w io.Writer) {
	fmt.Fprintln(w, "Orqestra, a self-hostable notification engine.\n\nUsage: orqestra <command> [flags]\n\nCommands:")
	names := make([]string, 0, len(commands))
	for name := range commands {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		fmt.Fprintf(w, "  %-10s %s\n", name, commands[name].summary)
	}
	fmt.Fprintln(w, "\nRun \"orqestra <command> -h\" for a command's flags. Configuration: ORQESTRA_* environment variables (see README).")
}

// newFlags returns a flag set that reports errors instead of exiting.
func newFlags(name string, e env) *flag.FlagSet {
	fs := flag.NewFlagSet("orqestra "+name, flag.ContinueOnError)
	fs.SetOutput(e.stderr)
	return fs
}

// parseFlags parses and maps flag errors to errUsage (already printed).
func parseFlags(fs *flag.FlagSet, args []string) error {
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return err
		}
		return errUsage
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(fs.Output(), "%s: unexpected argument %q\n", fs.Name(), fs.Arg(0))
		fs.Usage()
		return errUsage
	}
	return nil
}
