package inject

import (
	"bufio"
	"bytes"
	"io"
)

// docReader splits a YAML stream into documents the way istioctl's reader
// (k8s.io/apimachinery's YAMLReader) does, with two differences that keep
// data: line endings are kept as they are (the YAMLReader turns "\r\n"
// into "\n", so a passed-through document lost its CR bytes), and an
// invalid separator such as "--- apiVersion: v1" ends the document before
// it and starts a bad one, instead of failing the whole stream and blaming
// the document before it.
//
// As in istioctl: a separator is a line starting with "---" followed by
// nothing but blanks or a comment; a separator in front of an empty
// document stays with the next document (so "---\n---\n" is one document,
// "---\n"); empty documents are skipped; a last line without its newline
// gets one.
//
// Memory is bounded by the largest document: the buffer is reused, so a
// document's bytes are valid only until the next call to next.
type docReader struct {
	r   *bufio.Reader
	buf []byte
	// pending is a line read ahead: an invalid separator that starts the
	// next document.
	pending []byte
}

func newDocReader(r io.Reader) *docReader {
	return &docReader{r: bufio.NewReaderSize(r, 64<<10)}
}

// next returns the next document. For a document that starts with an
// invalid separator, badSep is what follows the "---"; the caller decides
// what to do with it and may go on reading. At the end of the stream next
// returns io.EOF.
func (d *docReader) next() (doc []byte, badSep []byte, err error) {
	d.buf = d.buf[:0]
	if d.pending != nil {
		d.buf = append(d.buf, d.pending...)
		badSep = separatorTail(d.pending)
		d.pending = nil
	}
	for {
		start := len(d.buf)
		var rerr error
		for {
			var frag []byte
			frag, rerr = d.r.ReadSlice('\n')
			d.buf = append(d.buf, frag...)
			if rerr != bufio.ErrBufferFull {
				break
			}
		}
		if rerr != nil && rerr != io.EOF {
			return nil, nil, rerr
		}
		line := d.buf[start:]
		if len(line) == 0 { // end of the stream
			if len(d.buf) > 0 {
				return d.buf, badSep, nil
			}
			return nil, nil, io.EOF
		}
		if line[len(line)-1] != '\n' {
			d.buf = append(d.buf, '\n') // the last line, without its newline
			line = d.buf[start:]
		}
		if bytes.HasPrefix(line, []byte("---")) {
			if tail := separatorTail(line); tail != nil {
				// An invalid separator ends the document in front of it and
				// starts a bad one.
				if start > 0 {
					d.pending = append([]byte(nil), line...)
					d.buf = d.buf[:start]
					return d.buf, badSep, nil
				}
				badSep = tail
			} else if start > 0 {
				d.buf = d.buf[:start]
				return d.buf, badSep, nil
			}
		}
	}
}

// separatorTail returns what follows "---" on a separator line when it
// makes the separator invalid (anything but blanks and a comment), or nil.
func separatorTail(line []byte) []byte {
	t := bytes.TrimSpace(line[3:])
	if len(t) == 0 || t[0] == '#' {
		return nil
	}
	return t
}
