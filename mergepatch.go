package eventmap

import (
	"bytes"
	"encoding/json"
	"fmt"
	"reflect"
)

// MergePatch applies an RFC 7396 JSON merge patch to doc: members of the
// patch replace those of doc, null removes a member, objects merge
// recursively and everything else (arrays included) is replaced whole.
// Numbers are carried as written, so coordinates keep their digits.
func MergePatch(doc, patch []byte) ([]byte, error) {
	var d, p any
	if err := decodeNumbers(doc, &d); err != nil {
		return nil, fmt.Errorf("document: %w", err)
	}
	if err := decodeNumbers(patch, &p); err != nil {
		return nil, err
	}
	if _, ok := p.(map[string]any); !ok {
		return nil, fmt.Errorf("a merge patch must be a JSON object")
	}
	return json.Marshal(mergeValue(d, p))
}

func mergeValue(target, patch any) any {
	po, ok := patch.(map[string]any)
	if !ok {
		return patch
	}
	to, ok := target.(map[string]any)
	if !ok {
		to = map[string]any{}
	}
	for k, v := range po {
		if v == nil {
			delete(to, k)
			continue
		}
		to[k] = mergeValue(to[k], v)
	}
	return to
}

func decodeNumbers(raw []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	if err := dec.Decode(v); err != nil {
		fe := jsonFieldError("", err, len(raw))
		return fmt.Errorf("%s", fe.Rule)
	}
	if dec.More() {
		return fmt.Errorf("unexpected data after the JSON value")
	}
	return nil
}

// DiffMergePatch is the RFC 7396 merge patch that turns the JSON document
// from into to: MergePatch(from, DiffMergePatch(from, to)) gives to back,
// except that a member whose new value is null comes back absent (a merge
// patch cannot set null: null removes). For an event's properties absent
// and null read the same (unknown). Objects are compared member by member,
// anything else (arrays included) is replaced whole when it differs.
func DiffMergePatch(from, to []byte) ([]byte, error) {
	var a, b any
	if err := decodeNumbers(from, &a); err != nil {
		return nil, fmt.Errorf("from: %w", err)
	}
	if err := decodeNumbers(to, &b); err != nil {
		return nil, fmt.Errorf("to: %w", err)
	}
	if _, ok := b.(map[string]any); !ok {
		return nil, fmt.Errorf("to: a merge patch can only describe a JSON object")
	}
	return json.Marshal(diffValue(a, b))
}

func diffValue(a, b any) any {
	ao, aok := a.(map[string]any)
	bo, bok := b.(map[string]any)
	if !aok || !bok {
		return b
	}
	patch := map[string]any{}
	for k := range ao {
		if _, ok := bo[k]; !ok {
			patch[k] = nil
		}
	}
	for k, bv := range bo {
		av, ok := ao[k]
		switch {
		case !ok:
			patch[k] = bv
		case reflect.DeepEqual(av, bv):
		default:
			patch[k] = diffValue(av, bv)
		}
	}
	return patch
}
