#!/bin/sh
# Model-checks the doorbell protocol with spin: every model must verify with
# no errors, and the deliberately broken variant must be caught. Used by ctest.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cd "$work"
verify() { # model [cflags]
	cp "$here/$1" model.pml
	spin -a ${2:-} model.pml >/dev/null
	cc -O2 -w -o pan pan.c
	./pan -m100000 > out.txt 2>&1 || true
	grep -oE "errors: [0-9]+" out.txt | head -n1
}
status=0
for m in bell_futex.pml bell_eventfd.pml; do
	r=$(verify "$m")
	echo "$m: $r"
	[ "$r" = "errors: 0" ] || status=1
done
for bad in "bell_futex.pml -DNOTIFIER_CLEARS" "bell_eventfd.pml -DCLEAR_LATE"; do
	r=$(verify $bad)
	echo "$bad (a broken variant, must be caught): $r"
	[ "$r" != "errors: 0" ] || status=1
done
if [ $status -eq 0 ]; then echo "4 passed, 0 failed"; else echo "check failed"; fi
exit $status
