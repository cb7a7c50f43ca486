# The request decoder of the engine (session poller) against a hostile
# mapping. Seeds: tests/fuzz/corpus/engine_request/ (made by
# tests/fuzz/engine_seeds.py).
accel_add_fuzz(engine_request SOURCE engine_fuzz.c LIBS accel_engine
	MODULE engine)
