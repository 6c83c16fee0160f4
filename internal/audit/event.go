package audit

// Event is what a service records. Actor is who acted (a user or key id,
// "system", or "" when unknown), Subject what the event is about (a user,
// role, session or key id), Addr the client address. Data holds extra
// facts and is never a place for secrets.
type Event struct {
	Kind    string
	Actor   string
	Subject string
	Addr    string
	Data    map[string]any
}

// Kinds of events Rampart records.
const (
	LoginSuccess            = "login.success"
	LoginFailure            = "login.failure"
	LoginLocked             = "login.locked"
	MFAEnrol                = "mfa.enrol"
	MFAConfirm              = "mfa.confirm"
	MFAUse                  = "mfa.use"
	MFARecoveryCodeUse      = "mfa.recovery_code_use"
	MFADisable              = "mfa.disable"
	RecoveryCodesRegenerate = "recovery_codes.regenerate"
	RefreshReuseDetected    = "refresh.reuse_detected"
	SessionRevoke           = "session.revoke"
	PasswordChange          = "password.change"
	UserCreate              = "user.create"
	UserUpdate              = "user.update"
	UserDisable             = "user.disable"
	UserEnable              = "user.enable"
	UserDelete              = "user.delete"
	UserUnlock              = "user.unlock"
	RoleCreate              = "role.create"
	RoleDelete              = "role.delete"
	RoleMembers             = "role.members"
	APIKeyCreate            = "apikey.create"
	APIKeyRotate            = "apikey.rotate"
	APIKeyRevoke            = "apikey.revoke"
	APIKeyExpiredUse        = "apikey.expired_use"
	SigningKeyRotate        = "signing_key.rotate"
	BreakglassIssue         = "breakglass.issue"
	BreakglassUse           = "breakglass.use"
	ConfigReload            = "config.reload"
	Registration            = "registration"
)

// Kinds lists every kind above, for documentation and tests.
var Kinds = []string{
	LoginSuccess, LoginFailure, LoginLocked,
	MFAEnrol, MFAConfirm, MFAUse, MFARecoveryCodeUse, MFADisable, RecoveryCodesRegenerate,
	RefreshReuseDetected, SessionRevoke, PasswordChange,
	UserCreate, UserUpdate, UserDisable, UserEnable, UserDelete, UserUnlock,
	RoleCreate, RoleDelete, RoleMembers,
	APIKeyCreate, APIKeyRotate, APIKeyRevoke, APIKeyExpiredUse,
	SigningKeyRotate, BreakglassIssue, BreakglassUse, ConfigReload, Registration,
}
