/*
 * The doorbell's futex path (ring/ring.c: accel_bell_wait / accel_bell_notify)
 * as a Promela model: two producers publish N entries each and ring the bell;
 * one consumer drains them and sleeps on the futex when the ring is empty.
 *
 * Every statement is one atomic step of a sequentially consistent machine.
 * The C code reaches that order for the two racing pairs (the producer's
 * tail store then flags load; the waiter's flags store then tail load) with a
 * seq_cst fence between each store and load: Dekker's pattern, which is
 * exactly what C11's fences give (see docs/ring.md).
 *
 * A lost wake-up shows as an invalid end state (the consumer asleep forever
 * with entries left): `spin -a bell_futex.pml && cc -o pan pan.c && ./pan`
 * must report "errors: 0". Build with -DNOTIFIER_CLEARS to see the classic
 * bug (a notifier clearing the waiter's flag) found by the same check.
 */

#define N 3
#define PRODUCERS 2

byte tail = 0;          /* entries published */
byte head = 0;          /* entries consumed */
bit waiting = 0;        /* bell.flags & WAITING: written by the waiter */
byte seq = 0;           /* bell.seq: the futex word */
bit asleep = 0;         /* the kernel's futex queue: the waiter sleeps */

inline futex_wait(expected) {
	atomic {
		if
		:: seq == expected -> asleep = 1
		:: else -> skip /* EAGAIN */
		fi
	}
	(asleep == 0) /* blocks until a futex_wake */
}

inline futex_wake() {
	atomic { asleep = 0 }
}

proctype producer() {
	byte i = 0;
	do
	:: i < N ->
		atomic { tail++ };        /* accel_ring_publish (release) */
		/* accel_smp_mb(): SC order of the store above and the load below */
		if
		:: waiting ->
			seq++;            /* fetch_add(seq) */
#ifdef NOTIFIER_CLEARS
			waiting = 0;      /* the bug: only the waiter may clear */
#endif
			futex_wake()
		:: else -> skip
		fi;
		i++
	:: else -> break
	od
}

active proctype consumer() {
	byte snap;
	do
	:: head == N * PRODUCERS -> break
	:: else ->
		if
		:: tail != head -> head++           /* ready(): consume */
		:: else ->
			snap = seq;                 /* load seq */
			waiting = 1;                /* announce */
			/* accel_smp_mb() */
			if
			:: tail != head -> waiting = 0   /* re-check succeeds */
			:: else ->
				futex_wait(snap);
				waiting = 0           /* only the waiter clears */
			fi
		fi
	od
}

init {
	atomic {
		run producer();
		run producer()
	}
}
