package eventmap

import (
	"bytes"
	"encoding/json"
	"fmt"
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
