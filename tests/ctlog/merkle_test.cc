#include "ctlog/merkle.h"

#include <gtest/gtest.h>
#include <rapidjson/document.h>

#include "base/encoding.h"
#include "tests/support/testdata.h"

namespace pinwatch::ctlog {
namespace {

using testing::TestdataTest;

TEST(Merkle, EmptyTreeRootIsSha256OfNothing) {
  EXPECT_EQ(HexEncode(EmptyTreeRoot()), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
}

}  // namespace
}  // namespace pinwatch::ctlog
