package templates

import (
	"bytes"
	"encoding/json"
	"io"
	"maps"
	"slices"
	"strconv"
	"strings"
	"sync"
	"text/template/parse"
)

// A bulk campaign sends one job's data to thousands of residents, and most
// of each message reads only that data, the estate and the locale: only the
// greeting (.Resident) and the date line (.Now) differ from one resident to
// the next. A segmented template executes the parts that depend on nothing
// else once per distinct (data, estate) and keeps their output; each
// message then executes only the parts that read the resident or the time,
// and writes the kept text in between.
//
// The template is cut between the nodes of its top-level list, into
// segments of consecutive nodes that are constant (they read only .Data,
// .Estate, .Locale and what a constant pipeline gave them, through the
// helpers, which depend only on their arguments and on the locale and time
// zone the template is bound to) or not. Executing the segments one after
// the other is executing the template: a top-level list is walked node by
// node, with nothing shared between nodes but the root data and the
// variables declared at the top level, and a template that declares one
// there is not cut. An HTML template is cut after html/template has escaped
// it whole, so that every segment carries the escaping of its context in
// the whole page: each segment is a clone of the template, escaped by an
// execution, whose escaped tree is then cut down to the segment's nodes.

// constRoots are the fields of the root data (see newData) that are the
// same for every message a (data, estate) key renders: .Locale is the
// template folder's, and the zone is the bound template's.
var constRoots = map[string]bool{"Data": true, "Estate": true, "Locale": true}

// pureFuncs are the functions a constant segment may call: their result
// depends only on their arguments (and, for the date helpers, on the locale
// and zone the template is bound to). html/template's escapers are added
// to the escaped tree under names starting _html_template_.
var pureFuncs = map[string]bool{
	"and": true, "or": true, "not": true, "len": true, "index": true, "slice": true,
	"print": true, "printf": true, "println": true, "html": true, "js": true, "urlquery": true,
	"eq": true, "ne": true, "lt": true, "le": true, "gt": true, "ge": true,
	"opt": true, "has": true, "default": true, "upper": true, "lower": true, "trim": true,
	"date": true, "time": true, "weekday": true, "endDate": true,
}

func pureFunc(name string) bool {
	return pureFuncs[name] || strings.HasPrefix(name, "_html_template_")
}

// executor is a text or HTML template, ready to execute.
type executor interface {
	Execute(io.Writer, any) error
}

// segment is a run of top-level nodes of a template.
type segment struct {
	exec     executor
	constant bool
	slot     int // index of its kept output, when constant
}

// segmented is a template cut into segments, with the outputs of its
// constant segments by (data, estate) key.
type segmented struct {
	segs   []segment
	nconst int
	cache  outputCache
}

// segmentsOf classifies the top-level nodes of root: for each, whether it
// is constant. It returns nil when the template must not be cut: it
// declares or assigns a variable at the top level, or it has no constant
// node.
func segmentsOf(root *parse.ListNode) []bool {
	if root == nil || len(root.Nodes) == 0 {
		return nil
	}
	out := make([]bool, len(root.Nodes))
	kept := false
	for i, n := range root.Nodes {
		if a, ok := n.(*parse.ActionNode); ok && a.Pipe != nil && (len(a.Pipe.Decl) > 0 || a.Pipe.IsAssign) {
			return nil
		}
		out[i] = constNode(n, false, map[string]bool{})
		kept = kept || out[i]
	}
	if !kept {
		return nil
	}
	return out
}

// constNode reports whether n reads only constant data. dotConst says
// whether dot is a constant value (inside a with or range of a constant
// pipeline) rather than the root data; vars says which variables in scope
// hold constant values ("$" is the root, handled apart).
func constNode(n parse.Node, dotConst bool, vars map[string]bool) bool {
	switch n := n.(type) {
	case *parse.TextNode, *parse.CommentNode, *parse.BreakNode, *parse.ContinueNode:
		return true
	case *parse.ListNode:
		if n == nil {
			return true
		}
		inner := maps.Clone(vars) // variables declared in a list end with it
		for _, c := range n.Nodes {
			if !constNode(c, dotConst, inner) {
				return false
			}
		}
		return true
	case *parse.ActionNode:
		return constPipe(n.Pipe, dotConst, vars)
	case *parse.IfNode:
		return constBranch(&n.BranchNode, false, dotConst, vars)
	case *parse.WithNode:
		return constBranch(&n.BranchNode, true, dotConst, vars)
	case *parse.RangeNode:
		return constBranch(&n.BranchNode, true, dotConst, vars)
	}
	return false // {{template}}, {{block}} and anything newer: executed per message
}

// constBranch is constNode of an if, with or range; movesDot says whether
// its list sees the pipeline's value as dot.
func constBranch(b *parse.BranchNode, movesDot bool, dotConst bool, vars map[string]bool) bool {
	inner := maps.Clone(vars)
	if !constPipe(b.Pipe, dotConst, inner) {
		return false
	}
	return constNode(b.List, dotConst || movesDot, inner) && constNode(b.ElseList, dotConst, maps.Clone(vars))
}

// constPipe reports whether pipe's value is constant, and records the
// variables it declares in vars. An assignment to a variable declared
// outside is not followed: the pipeline is not constant.
func constPipe(pipe *parse.PipeNode, dotConst bool, vars map[string]bool) bool {
	if pipe == nil {
		return true
	}
	if pipe.IsAssign {
		return false
	}
	for _, cmd := range pipe.Cmds {
		for i, arg := range cmd.Args {
			if id, ok := arg.(*parse.IdentifierNode); ok {
				if i != 0 || !pureFunc(id.Ident) {
					return false
				}
				continue
			}
			if !constArg(arg, dotConst, vars) {
				return false
			}
		}
	}
	for _, v := range pipe.Decl {
		vars[v.Ident[0]] = true
	}
	return true
}

func constArg(arg parse.Node, dotConst bool, vars map[string]bool) bool {
	switch a := arg.(type) {
	case *parse.StringNode, *parse.NumberNode, *parse.BoolNode, *parse.NilNode:
		return true
	case *parse.DotNode:
		return dotConst
	case *parse.FieldNode:
		return dotConst || constRoots[a.Ident[0]]
	case *parse.VariableNode:
		if a.Ident[0] == "$" {
			return len(a.Ident) > 1 && constRoots[a.Ident[1]]
		}
		return vars[a.Ident[0]]
	case *parse.ChainNode:
		return constArg(a.Node, dotConst, vars)
	case *parse.PipeNode:
		return constPipe(a, dotConst, maps.Clone(vars))
	}
	return false
}

// cut cuts a template into segments. clone returns a fresh executor
// of the template, escaped when it is an HTML template, and the tree it
// executes: the first one's tree is read to cut the template, and each
// segment's is cut down to the segment's nodes. It returns nil when the
// template is not cut.
func cut(clone func() (executor, *parse.Tree, error)) (*segmented, error) {
	e, tree, err := clone()
	if err != nil || tree == nil {
		return nil, err
	}
	kinds := segmentsOf(tree.Root)
	if kinds == nil {
		return nil, nil
	}
	s := &segmented{}
	for start := 0; start < len(kinds); {
		end := start + 1
		for end < len(kinds) && kinds[end] == kinds[start] {
			end++
		}
		if start > 0 {
			if e, tree, err = clone(); err != nil {
				return nil, err
			}
			if tree == nil || len(tree.Root.Nodes) != len(kinds) {
				return nil, nil // escaping gave another shape: execute the template whole
			}
		}
		tree.Root = &parse.ListNode{NodeType: parse.NodeList, Pos: tree.Root.Pos, Nodes: slices.Clone(tree.Root.Nodes[start:end])}
		seg := segment{exec: e, constant: kinds[start]}
		if seg.constant {
			seg.slot = s.nconst
			s.nconst++
		}
		s.segs = append(s.segs, seg)
		start = end
	}
	return s, nil
}

// execute writes the template's output for data to buf. key identifies
// what the constant segments read (see cacheKey); "" executes them all.
func (s *segmented) execute(buf *bytes.Buffer, data any, key string) error {
	if key != "" {
		if outs := s.cache.get(key); outs != nil {
			for _, seg := range s.segs {
				if seg.constant {
					buf.WriteString(outs[seg.slot])
					continue
				}
				if err := seg.exec.Execute(buf, data); err != nil {
					return err
				}
			}
			return nil
		}
	}
	outs := make([]string, s.nconst)
	for _, seg := range s.segs {
		start := buf.Len()
		if err := seg.exec.Execute(buf, data); err != nil {
			return err
		}
		if seg.constant {
			outs[seg.slot] = string(buf.Bytes()[start:])
		}
	}
	if key != "" {
		s.cache.put(key, outs)
	}
	return nil
}

// outputCacheSize bounds the keys an outputCache keeps: the distinct jobs
// being sent at once, times their estates. When it is full it starts again.
const outputCacheSize = 512

// outputCache keeps the outputs of a template's constant segments by key.
type outputCache struct {
	mu sync.RWMutex
	m  map[string][]string
}

func (c *outputCache) get(key string) []string {
	c.mu.RLock()
	defer c.mu.RUnlock()
	return c.m[key]
}

func (c *outputCache) put(key string, outs []string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.m == nil || len(c.m) >= outputCacheSize {
		c.m = make(map[string][]string)
	}
	c.m[key] = outs
}

// cacheKey encodes what constant segments read of a rendering's data:
// .Data and .Estate (see newData). It is "" when a value is of a type it
// does not encode exactly (a time.Time, say): that rendering executes
// every segment.
func cacheKey(data map[string]any) string {
	b := keyBuffers.Get().(*[]byte)
	defer keyBuffers.Put(b)
	k := (*b)[:0]
	var ok bool
	if k, ok = appendKey(k, data["Data"]); !ok {
		return ""
	}
	if k, ok = appendKey(k, data["Estate"]); !ok {
		return ""
	}
	*b = k
	return string(k)
}

var keyBuffers = sync.Pool{New: func() any { b := make([]byte, 0, 512); return &b }}

// appendKey appends an unambiguous encoding of v: a type byte, then
// lengths before strings and counts before the elements of lists and maps
// (map keys sorted).
func appendKey(k []byte, v any) ([]byte, bool) {
	str := func(k []byte, t byte, s string) []byte {
		k = append(k, t)
		k = strconv.AppendInt(k, int64(len(s)), 10)
		k = append(k, ':')
		return append(k, s...)
	}
	switch v := v.(type) {
	case nil:
		return append(k, 'z'), true
	case string:
		return str(k, 's', v), true
	case json.Number:
		return str(k, 'n', string(v)), true
	case bool:
		if v {
			return append(k, 'T'), true
		}
		return append(k, 'F'), true
	case int:
		return strconv.AppendInt(append(k, 'i'), int64(v), 10), true
	case int64:
		return strconv.AppendInt(append(k, 'I'), v, 10), true
	case float64:
		return strconv.AppendFloat(append(k, 'f'), v, 'g', -1, 64), true
	case []any:
		k = strconv.AppendInt(append(k, 'l'), int64(len(v)), 10)
		for _, e := range v {
			var ok bool
			if k, ok = appendKey(k, e); !ok {
				return k, false
			}
		}
		return k, true
	case []string:
		k = strconv.AppendInt(append(k, 'L'), int64(len(v)), 10)
		for _, e := range v {
			k = str(k, 's', e)
		}
		return k, true
	case map[string]any:
		k = strconv.AppendInt(append(k, 'm'), int64(len(v)), 10)
		var names [16]string
		for _, name := range sortedKeys(names[:0], v) {
			k = str(k, 'k', name)
			var ok bool
			if k, ok = appendKey(k, v[name]); !ok {
				return k, false
			}
		}
		return k, true
	case map[string]string:
		k = strconv.AppendInt(append(k, 'M'), int64(len(v)), 10)
		var names [16]string
		for _, name := range sortedKeys(names[:0], v) {
			k = str(k, 'k', name)
			k = str(k, 's', v[name])
		}
		return k, true
	}
	return k, false
}

// sortedKeys appends m's keys to names and sorts them: into the caller's
// array when they fit, so that a key of a few fields allocates nothing.
func sortedKeys[V any](names []string, m map[string]V) []string {
	for name := range m {
		names = append(names, name)
	}
	slices.Sort(names)
	return names
}
