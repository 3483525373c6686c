package main

// cacheBytesUsage documents --cache-bytes.
const cacheBytesUsage = "memory for remembered answers, in bytes: a third for the Reviewer's answers, two thirds for the Injector's results " +
	"(0: the library's defaults, 16 MiB and 32 MiB; negative: remember nothing); requests in flight need memory of their own"

// cacheBudgets splits --cache-bytes between the Injector's result cache
// and the Reviewer's answers as the library's defaults do (a third for the
// Reviewer, whose answer is a patch; two thirds for the Injector, whose
// result holds the patch decoded and encoded): together they never hold
// more than the flag says.
func (s *source) cacheBudgets() (injector, reviewer int64) {
	switch {
	case s.cacheBytes == 0:
		return 0, 0 // the defaults
	case s.cacheBytes < 3:
		return -1, -1 // nothing fits; 0 would mean the defaults
	}
	reviewer = s.cacheBytes / 3
	return s.cacheBytes - reviewer, reviewer
}
