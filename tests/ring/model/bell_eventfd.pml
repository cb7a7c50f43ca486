/*
 * The doorbell's eventfd path (accel_bell_arm / accel_bell_rearm /
 * accel_bell_notify with ACCEL_BELL_EVENTFD): an event loop that cannot block
 * on a futex sleeps in epoll on an eventfd. Producers write the eventfd only
 * when they flip evt_pending from 0 to 1, so a burst costs one write; the
 * waiter drains the eventfd, clears evt_pending, re-checks the ring, and only
 * then sleeps in epoll again.
 *
 * Same conventions and check as bell_futex.pml: "errors: 0" means no
 * entry is ever left behind while the loop sleeps. -DCLEAR_LATE (reap, then
 * clear evt_pending) is the broken order, and the check must catch it.
 */

#define N 3
#define PRODUCERS 2

byte tail = 0;
byte head = 0;
bit armed = 1;          /* ACCEL_BELL_EVENTFD, set once by accel_bell_arm */
bit pending = 0;        /* bell.evt_pending */
byte efd = 0;           /* the eventfd counter */

proctype producer() {
	byte i = 0;
	do
	:: i < N ->
		atomic { tail++ };
		/* accel_smp_mb() */
		if
		:: armed ->
			atomic {
				if
				:: pending == 0 -> pending = 1; efd++  /* exchange, write */
				:: else -> skip
				fi
			}
		:: else -> skip
		fi;
		i++
	:: else -> break
	od
}

active proctype loop() {
reap:
	/* the uv_poll callback reaps everything that is ready */
	do
	:: tail != head -> head++
	:: else -> break
	od;
	if
	:: head == N * PRODUCERS -> goto done
	:: else -> skip
	fi;
sleep:
	(efd > 0);                      /* epoll: sleeps until readable */
	efd = 0;                        /* drain (read) */
#ifdef CLEAR_LATE
	/* the bug: reap, then clear pending, then sleep again */
	do
	:: tail != head -> head++
	:: else -> break
	od;
	pending = 0;
	if
	:: head == N * PRODUCERS -> goto done
	:: else -> goto sleep
	fi;
#else
	pending = 0;                    /* accel_bell_rearm: clear, fence ... */
	goto reap;                      /* ... then re-check the ring */
#endif
done:
	skip
}

init {
	atomic {
		run producer();
		run producer()
	}
}
