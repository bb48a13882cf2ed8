// Package sdk holds the built browser SDK so the engine can serve it without Node.
//
// The TypeScript sources live next to this file (src/); `npm run build` writes
// dist/orqestra.js, which is committed, and `npm run check-bundle` fails when the committed
// file no longer matches the sources.
package sdk

import _ "embed"

// Bundle is dist/orqestra.js: one self-contained ES module that registers the
// <orqestra-bell> custom element on import and exports the realtime client. Serve it as
// text/javascript at /sdk/orqestra.js. Treat it as read-only; it is shared by every request.
//
//go:embed dist/orqestra.js
var Bundle []byte
