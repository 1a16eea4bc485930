// Package web holds the dashboard vigil-hub serves: a static page, its
// style sheet and plain ES modules, embedded in the binary. It needs no
// build step and loads nothing from elsewhere: the page talks only to the
// hub's own API (/api/...), so it runs on a machine without internet.
//
// # Pages
//
// The page has three views, chosen by the URL's fragment: live events
// (#/events, #/events/<id> for one event's detail), the guards seen
// (#/workloads) and the rules that fired over time (#/rules). See
// docs/dashboard.md.
//
// # Safety
//
// Event content is attacker-influenced (argv, paths, hostnames): the
// scripts build every element with DOM calls and set text with
// textContent, never with HTML strings. The page carries a
// Content-Security-Policy that allows only its own scripts, styles and
// API; the hub should send the same policy as a header (CSP below).
package web
