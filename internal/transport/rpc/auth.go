package rpc

import (
	"context"

	rampartv1 "rampart.dev/rampart/api/rampart/v1"
	"rampart.dev/rampart/internal/identity"
)

var authService = serviceOf(rampartv1.File_rampart_v1_auth_proto, "AuthService")

// authRoutes mirror REST's /api/v1/auth and /api/v1/me endpoints, with the
// same access level each.
func (s *Server) authRoutes() []route {
	a := authService
	return []route{
		unary(s, a, "Login", anonymous, s.login),
		unary(s, a, "CompleteMFA", anonymous, s.completeMFA),
		unary(s, a, "Refresh", anonymous, s.refresh),
		unary(s, a, "Recover", anonymous, s.recover),
		unary(s, a, "Register", anonymous, s.register),
		unary(s, a, "Logout", enrolling, s.logout),
		unary(s, a, "ListSessions", enrolling, s.listSessions),
		unary(s, a, "RevokeSession", enrolling, s.revokeSession),
		unary(s, a, "Me", enrolling, s.me),
		unary(s, a, "UpdateProfile", user, s.updateProfile),
		unary(s, a, "ChangePassword", user, s.changePassword),
		unary(s, a, "EnrolTOTP", enrolling, s.enrolTOTP),
		unary(s, a, "ConfirmTOTP", enrolling, s.confirmTOTP),
		unary(s, a, "DisableTOTP", user, s.disableTOTP),
		unary(s, a, "RegenerateRecoveryCodes", user, s.regenerateRecoveryCodes),
	}
}

func tokens(t identity.Tokens) *rampartv1.Tokens {
	return &rampartv1.Tokens{AccessToken: t.AccessToken, TokenType: t.TokenType, ExpiresIn: t.ExpiresIn, RefreshToken: t.RefreshToken}
}

func (s *Server) login(ctx context.Context, req *rampartv1.LoginRequest) (*rampartv1.LoginResponse, error) {
	res, err := s.id.Login(ctx, req.GetUsername(), req.GetPassword(), callOf(ctx).meta)
	if err != nil {
		return nil, err
	}
	if res.MFA != nil {
		return &rampartv1.LoginResponse{MfaRequired: true, MfaToken: res.MFA.Token}, nil
	}
	return &rampartv1.LoginResponse{Tokens: tokens(*res.Tokens)}, nil
}

func (s *Server) completeMFA(ctx context.Context, req *rampartv1.CompleteMFARequest) (*rampartv1.Tokens, error) {
	t, err := s.id.CompleteMFA(ctx, req.GetMfaToken(), req.GetCode(), callOf(ctx).meta)
	if err != nil {
		return nil, err
	}
	return tokens(t), nil
}

func (s *Server) refresh(ctx context.Context, req *rampartv1.RefreshRequest) (*rampartv1.Tokens, error) {
	t, err := s.id.Refresh(ctx, req.GetRefreshToken())
	if err != nil {
		return nil, err
	}
	return tokens(t), nil
}

func (s *Server) recover(ctx context.Context, req *rampartv1.RecoverRequest) (*rampartv1.Tokens, error) {
	t, err := s.id.Recover(ctx, req.GetToken(), callOf(ctx).meta)
	if err != nil {
		return nil, err
	}
	return tokens(t), nil
}

func (s *Server) register(ctx context.Context, req *rampartv1.RegisterRequest) (*rampartv1.Document, error) {
	u := identity.NewUser{Username: req.GetUsername(), Password: req.GetPassword(), Name: req.GetName(), Email: req.GetEmail()}
	d, err := s.id.Register(ctx, u, callOf(ctx).meta)
	if err != nil {
		return nil, err
	}
	return document(d)
}

func (s *Server) logout(ctx context.Context, _ *rampartv1.Empty) (*rampartv1.Empty, error) {
	return &rampartv1.Empty{}, s.id.Logout(ctx, callOf(ctx).caller)
}

func (s *Server) listSessions(ctx context.Context, _ *rampartv1.Empty) (*rampartv1.ListSessionsResponse, error) {
	list, err := s.id.Sessions(ctx, callOf(ctx).caller)
	if err != nil {
		return nil, err
	}
	out := &rampartv1.ListSessionsResponse{Sessions: make([]*rampartv1.Session, len(list))}
	for i, ses := range list {
		out.Sessions[i] = &rampartv1.Session{
			Id: ses.ID, CreatedUnix: unix(ses.Created), LastSeenUnix: unix(ses.LastSeen), ExpiresUnix: unix(ses.Expires),
			Addr: ses.Addr, UserAgent: ses.UserAgent, Methods: ses.Methods, Current: ses.Current,
		}
	}
	return out, nil
}

func (s *Server) revokeSession(ctx context.Context, req *rampartv1.RevokeSessionRequest) (*rampartv1.Empty, error) {
	if err := required("id", req.GetId()); err != nil {
		return nil, err
	}
	return &rampartv1.Empty{}, s.id.RevokeSession(ctx, callOf(ctx).caller, req.GetId())
}

func (s *Server) me(ctx context.Context, _ *rampartv1.Empty) (*rampartv1.MeResponse, error) {
	u, roles, err := s.id.Me(ctx, callOf(ctx).caller.Principals)
	if err != nil {
		return nil, err
	}
	doc, err := document(u)
	if err != nil {
		return nil, err
	}
	return &rampartv1.MeResponse{User: doc, Roles: roles}, nil
}

func (s *Server) updateProfile(ctx context.Context, req *rampartv1.UpdateProfileRequest) (*rampartv1.Document, error) {
	patch := identity.ProfilePatch{Name: req.Name, Email: req.Email}
	d, err := s.id.UpdateProfile(ctx, callOf(ctx).caller, patch, callOf(ctx).meta)
	if err != nil {
		return nil, err
	}
	return document(d)
}

func (s *Server) changePassword(ctx context.Context, req *rampartv1.ChangePasswordRequest) (*rampartv1.Empty, error) {
	return &rampartv1.Empty{}, s.id.ChangePassword(ctx, callOf(ctx).caller, req.GetCurrent(), req.GetNew())
}

func (s *Server) enrolTOTP(ctx context.Context, _ *rampartv1.Empty) (*rampartv1.EnrolTOTPResponse, error) {
	e, err := s.id.EnrolTOTP(ctx, callOf(ctx).caller, callOf(ctx).meta)
	if err != nil {
		return nil, err
	}
	return &rampartv1.EnrolTOTPResponse{Secret: e.Secret, OtpauthUri: e.URI, QrPng: e.QRPNG}, nil
}

func (s *Server) confirmTOTP(ctx context.Context, req *rampartv1.CodeRequest) (*rampartv1.RecoveryCodes, error) {
	codes, err := s.id.ConfirmTOTP(ctx, callOf(ctx).caller, req.GetCode(), callOf(ctx).meta)
	if err != nil {
		return nil, err
	}
	return &rampartv1.RecoveryCodes{RecoveryCodes: codes}, nil
}

func (s *Server) disableTOTP(ctx context.Context, req *rampartv1.CodeRequest) (*rampartv1.Empty, error) {
	return &rampartv1.Empty{}, s.id.DisableTOTP(ctx, callOf(ctx).caller, req.GetCode(), callOf(ctx).meta)
}

func (s *Server) regenerateRecoveryCodes(ctx context.Context, req *rampartv1.CodeRequest) (*rampartv1.RecoveryCodes, error) {
	codes, err := s.id.RegenerateRecoveryCodes(ctx, callOf(ctx).caller, req.GetCode(), callOf(ctx).meta)
	if err != nil {
		return nil, err
	}
	return &rampartv1.RecoveryCodes{RecoveryCodes: codes}, nil
}
