// Precompiled for the test executables (build time only): the harness's heavy headers plus
// GoogleTest's. Every test file still includes what it uses.
#pragma once

#include "cmake/precompiled_harness.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
