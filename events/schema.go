package events

import _ "embed"

// Schema is the JSON Schema (draft 2020-12) of an encoded event, with $id
// https://vigil.dev/schemas/event/v1.json. Do not modify it.
//
//go:embed event.schema.json
var Schema []byte
