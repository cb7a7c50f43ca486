#include "sbx_test.h"
