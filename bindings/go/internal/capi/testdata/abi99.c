/* A library claiming a future ABI version: the binding must refuse it with a clear message. */
int e2b_abi_version(void) { return 99; }
