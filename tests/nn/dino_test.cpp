// Lesson 11: DINO's loss, running center and teacher EMA, with values worked out by hand.
#include "nn/dino.hpp"

#include <gtest/gtest.h>

#include <cmath>

#include "nn/linear.hpp"
#include "support/fixtures.hpp"

using namespace glimpse;

TEST(DINOLoss, CenterIsAnExponentialMovingAverageOfTheTeacherMean) {
  nn::DINOLoss loss(2, 0.04f, 0.1f, 0.9f);
  const std::vector<Tensor> teacher = {from_vector({1, 3}, {1, 2}), from_vector({3, 5}, {1, 2})};
  loss.update_center(teacher);  // mean (2, 4): 0.9·0 + 0.1·(2, 4)
  EXPECT_NEAR(loss.center()[0], 0.2f, 1e-6f);
  EXPECT_NEAR(loss.center()[1], 0.4f, 1e-6f);
  loss.update_center(teacher);  // 0.9·(0.2, 0.4) + 0.1·(2, 4)
  EXPECT_NEAR(loss.center()[0], 0.38f, 1e-6f);
  EXPECT_NEAR(loss.center()[1], 0.76f, 1e-6f);
}

TEST(DINOLoss, UniformStudentCostsLogKAndTeacherGetsNoGradient) {
  nn::DINOLoss loss(2);
  Tensor s0 = zeros({1, 2}), s1 = zeros({1, 2});
  s0.requires_grad_(), s1.requires_grad_();
  Tensor t0 = from_vector({5, -5}, {1, 2}), t1 = from_vector({-1, 2}, {1, 2});
  t0.requires_grad_(), t1.requires_grad_();
  const Tensor value = loss({s0, s1}, {t0, t1});
  // log_softmax of a uniform student is log ½ whatever the teacher says: −Σ p log ½ = ln 2.
  EXPECT_NEAR(value.item(), std::log(2.0f), 1e-6f);
  value.backward();
  EXPECT_TRUE(s0.grad().defined());
  EXPECT_FALSE(t0.grad().defined());  // stop-gradient
  // Student view 0 is compared with teacher view 1 only (never its own view), averaged over the
  // 2 pairs: d/ds = (softmax(s/τs) − P_t) / τs / 2, with P_t = softmax((−1, 2) / 0.04) ≈ (0, 1).
  EXPECT_NEAR(s0.grad().at({0, 0}), (0.5f - 0.0f) / 0.1f / 2, 1e-4f);
  EXPECT_NEAR(s0.grad().at({0, 1}), (0.5f - 1.0f) / 0.1f / 2, 1e-4f);
}

TEST(DINOLoss, RefusesBadArguments) {
  EXPECT_THROW(nn::DINOLoss(0), Error);
  EXPECT_THROW(nn::DINOLoss(2, 0.0f), Error);
  EXPECT_THROW(nn::DINOLoss(2, 0.04f, 0.1f, 1.5f), Error);
  nn::DINOLoss loss(2);
  EXPECT_THROW(loss({zeros({1, 2})}, {zeros({1, 2})}), Error);                                // one view
  EXPECT_THROW(loss({zeros({1, 2}), zeros({1, 3})}, {zeros({1, 2}), zeros({1, 2})}), Error);  // width
  EXPECT_THROW(loss.update_center({}), Error);
}

TEST(EmaUpdate, MovesTheTeacherTowardTheStudent) {
  nn::Linear teacher(1, 1), student(1, 1);
  Tensor tw = teacher.weight(), tb = teacher.bias(), sw = student.weight(), sb = student.bias();  // shallow
  tw.data()[0] = 1, tb.data()[0] = 0, sw.data()[0] = 3, sb.data()[0] = 2;
  nn::ema_update_(teacher, student, 0.75f);  // 0.75·1 + 0.25·3, 0.75·0 + 0.25·2
  EXPECT_FLOAT_EQ(teacher.weight().at({0, 0}), 1.5f);
  EXPECT_FLOAT_EQ(teacher.bias().at({0}), 0.5f);
  EXPECT_FLOAT_EQ(student.weight().at({0, 0}), 3.0f);  // the student is untouched
  nn::Linear other(2, 1);
  EXPECT_THROW(nn::ema_update_(teacher, other, 0.5f), Error);
  EXPECT_THROW(nn::ema_update_(teacher, student, -0.1f), Error);
}

// tests/fixtures/generate_vit.py: DINO's loss in PyTorch with a non-zero center, its gradient
// with respect to both student views, and the center after one more update.
TEST(DINOLoss, LossGradientAndCenterMatchPyTorch) {
  auto f = test::load_fixture("dino");
  nn::DINOLoss loss(5, 0.04f, 0.1f, 0.9f);
  const Tensor earlier = f.at("earlier_teacher");  // [6, 5]: the batch that set the center
  loss.update_center({earlier.slice(0, 0, 3), earlier.slice(0, 3, 6)});
  EXPECT_TRUE(test::all_close(from_vector(loss.center(), {5}), f.at("center")));
  Tensor s0 = f.at("student.0"), s1 = f.at("student.1");
  s0.requires_grad_(), s1.requires_grad_();
  const std::vector<Tensor> teacher = {f.at("teacher.0"), f.at("teacher.1")};
  const Tensor value = loss({s0, s1}, teacher);
  EXPECT_TRUE(test::all_close(value.reshape({1}), f.at("loss")));
  value.backward();
  EXPECT_TRUE(test::all_close(s0.grad(), f.at("grad.student.0"), 1e-5f, 1e-5f));
  EXPECT_TRUE(test::all_close(s1.grad(), f.at("grad.student.1"), 1e-5f, 1e-5f));
  loss.update_center(teacher);
  EXPECT_TRUE(test::all_close(from_vector(loss.center(), {5}), f.at("center_after")));
}
