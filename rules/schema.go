package rules

import _ "embed"

// SchemaID is the $id of the policy's JSON Schema, for editors:
// "# yaml-language-server: $schema=https://vigil.dev/schemas/policy/v1.json".
const SchemaID = "https://vigil.dev/schemas/policy/v1.json"

// Schema is the JSON Schema (draft 2020-12) of the policy format. Editors
// use it to complete and check policies; Parse is the authority, and also
// checks what a schema cannot (uid ranges, one document, no anchors).
//
//go:embed policy.schema.json
var Schema []byte
