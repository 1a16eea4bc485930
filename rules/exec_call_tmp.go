package rules

// ExecCall is an execution to judge. (Placeholder until the matcher lands.)
type ExecCall struct {
	Path        string
	Argv        []string
	ParentExe   string
	ParentArgv0 string
	UID         uint32
}
