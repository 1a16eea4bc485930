package forward

import _ "embed"

// SchemaID is the $id of the forwarders file's JSON Schema, for editors:
// "# yaml-language-server: $schema=https://vigil.dev/schemas/forwarders/v1.json".
const SchemaID = "https://vigil.dev/schemas/forwarders/v1.json"

// Schema is the JSON Schema (draft 2020-12) of the forwarders file.
// Editors use it to complete and check the file; Load is the authority,
// and also checks what a schema cannot (unique names, set environment
// variables, a readable headers file, retry.initial at most retry.max).
//
//go:embed forwarders.schema.json
var Schema []byte
