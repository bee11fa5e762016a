package api

import (
	"strings"

	"github.com/labstack/echo/v4"

	"eventmap"
	"eventmap/auth"
	"eventmap/store"
)

const callerKey = "eventmap.caller"

// authenticate resolves the bearer token, if any, into the caller. A
// request without Authorization is anonymous; one with a bad token is
// refused outright rather than served as anonymous, so a client with an
// expired token hears about it instead of quietly seeing less data.
func (s *Server) authenticate(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		// What a request sees depends on its token: caches must keep
		// anonymous and authenticated answers apart.
		c.Response().Header().Add(echo.HeaderVary, echo.HeaderAuthorization)
		h := c.Request().Header.Get(echo.HeaderAuthorization)
		if h == "" {
			return next(c)
		}
		scheme, token, _ := strings.Cut(h, " ")
		if !strings.EqualFold(scheme, "Bearer") || strings.TrimSpace(token) == "" {
			return &eventmap.Error{Code: eventmap.EUNAUTHORIZED,
				Detail: "Authorization must be \"Bearer <token>\"",
				Errors: []eventmap.FieldError{{Field: "Authorization", Rule: "must use the Bearer scheme"}}}
		}
		info, err := s.db.Authenticate(c.Request().Context(), strings.TrimSpace(token))
		if err != nil {
			return err
		}
		c.Set(callerKey, info)
		return next(c)
	}
}

// caller is who made the request; the zero TokenInfo (role Anonymous)
// when no token was sent.
func caller(c echo.Context) store.TokenInfo {
	info, _ := c.Get(callerKey).(store.TokenInfo)
	return info
}

// seesRestricted reports whether the caller may read restricted events.
func seesRestricted(c echo.Context) bool { return caller(c).Role.SeesRestricted() }

// require returns the caller if their role allows need: anonymous callers
// get 401 (with a challenge), token holders with too weak a role 403.
func require(c echo.Context, need auth.Role, action string) (store.TokenInfo, error) {
	who := caller(c)
	if who.Role == auth.Anonymous {
		e := eventmap.Errorf(eventmap.EUNAUTHORIZED, "%s needs an API token with role %s or higher", action, need)
		e.Errors = []eventmap.FieldError{{Field: "Authorization", Rule: "is required: Bearer <token>"}}
		return who, e
	}
	if !who.Role.Allows(need) {
		e := eventmap.Errorf(eventmap.EFORBIDDEN, "%s needs role %s or higher; this token has role %s", action, need, who.Role)
		e.Errors = []eventmap.FieldError{{Field: "Authorization", Rule: "needs a token with role " + string(need) + " or higher"}}
		return who, e
	}
	return who, nil
}
