#include "geometry/gt_matches.h"

#include <cmath>
#include <vector>

#include "geometry/eigen.h"
#include "geometry/gt_matches_kernels.h"
#include "tensor/ops/creation.h"

namespace sp::geometry {

namespace {

using detail::GtArgs;

// Keypoints [B, n, 2] as contiguous f64 on their device, and the mask (all true when
// undefined) as contiguous bool.
struct PointSet {
  Tensor kp, mask;
};

PointSet point_set(const Tensor& kp, const Tensor& mask, const char* what, const char* name) {
  SP_CHECK(kp.defined() && kp.dim() == 3 && kp.size(2) == 2 && is_floating(kp.dtype()), what,
           ": expected ", name, " keypoints [B, N, 2] of a floating dtype, got ",
           kp.defined() ? kp.meta() : "none");
  PointSet p{kp.to(DType::F64).contiguous(), Tensor()};
  if (mask.defined()) {
    SP_CHECK(mask.shape() == Shape({kp.size(0), kp.size(1)}), what, ": expected ", name, " mask [",
             kp.size(0), ", ", kp.size(1), "], got ", mask.meta());
    check_same_device(kp, mask, what);
    p.mask = mask.to(DType::Bool).contiguous();
  } else {
    p.mask = ones({kp.size(0), kp.size(1)}, DType::Bool, kp.device());
  }
  return p;
}

// A [B, r, c] tensor as f64 host matrices, checked.
std::vector<Eigen::MatrixXd> host_matrices(const Tensor& t, int64_t batch, int64_t rows,
                                           int64_t cols, const char* what, const char* name) {
  SP_CHECK(t.defined() && t.shape() == Shape({batch, rows, cols}), what, ": expected ", name, " [",
           batch, ", ", rows, ", ", cols, "], got ", t.defined() ? t.meta() : "none");
  const std::vector<double> v = t.cpu().to(DType::F64).contiguous().to_vector<double>();
  std::vector<Eigen::MatrixXd> out;
  for (int64_t b = 0; b < batch; ++b) {
    Eigen::MatrixXd m(rows, cols);
    for (int64_t r = 0; r < rows; ++r)
      for (int64_t c = 0; c < cols; ++c) m(r, c) = v[size_t((b * rows + r) * cols + c)];
    SP_CHECK(m.allFinite(), what, ": expected finite ", name, ", got a non-finite entry in pair ",
             b);
    out.push_back(m);
  }
  return out;
}

// Image sizes [B, 2] (W, H) as [2, 1] host matrices.
std::vector<Eigen::MatrixXd> host_sizes(const Tensor& t, int64_t batch, const char* what,
                                        const char* name) {
  SP_CHECK(t.defined() && t.shape() == Shape({batch, 2}), what, ": expected ", name, " [", batch,
           ", 2] (W, H), got ", t.defined() ? t.meta() : "none");
  return host_matrices(t.reshape({batch, 2, 1}), batch, 2, 1, what, name);
}

// The outputs and scratch of both sides, allocated on `device`.
struct Buffers {
  Tensor proj[2], visible[2], valid[2], nearest[2], nearest_dist[2], min_own[2], matches[2],
      exclude[2], assignment;
};

GtArgs make_args(const PointSet (&p)[2], Buffers& buf, const Tensor& params) {
  GtArgs a;
  a.batch = p[0].kp.size(0);
  const Device dev = p[0].kp.device();
  for (int s = 0; s < 2; ++s) {
    const int64_t B = a.batch, n = p[s].kp.size(1);
    buf.proj[s] = empty({B, n, 2}, DType::F64, dev);
    buf.visible[s] = empty({B, n}, DType::U8, dev);
    buf.valid[s] = empty({B, n}, DType::U8, dev);
    buf.nearest[s] = empty({B, n}, DType::I64, dev);
    buf.nearest_dist[s] = empty({B, n}, DType::F64, dev);
    buf.min_own[s] = empty({B, n}, DType::F64, dev);
    buf.matches[s] = empty({B, n}, DType::I64, dev);
    buf.exclude[s] = zeros({B, n}, DType::U8, dev);
    detail::GtSide& side = a.side[s];
    side.n = n;
    side.kp = p[s].kp.data<double>();
    side.mask = p[s].mask.data<bool>();
    side.proj = buf.proj[s].data<double>();
    side.visible = buf.visible[s].data<uint8_t>();
    side.valid = buf.valid[s].data<uint8_t>();
    side.nearest = buf.nearest[s].data<int64_t>();
    side.nearest_dist = buf.nearest_dist[s].data<double>();
    side.min_own_dist = buf.min_own[s].data<double>();
    side.matches = buf.matches[s].data<int64_t>();
    side.exclude = buf.exclude[s].data<uint8_t>();
  }
  buf.assignment = zeros({a.batch, p[0].kp.size(1), p[1].kp.size(1)}, DType::Bool, dev);
  a.assignment = buf.assignment.data<bool>();
  a.params = params.data<double>();
  return a;
}

void run_cpu(const GtArgs& a) {
  using Step = void (*)(const GtArgs&, int, int64_t, int64_t);
  std::vector<Step> steps = {detail::gt_project, detail::gt_nearest, detail::gt_label};
  if (a.epipolar) {
    steps.push_back(detail::gt_epipolar_exclude);
    steps.push_back(detail::gt_epipolar_apply);
  }
  for (Step step : steps) {
    for (int s = 0; s < 2; ++s) {
      const int64_t n = a.side[s].n, total = a.batch * n;
#pragma omp parallel for schedule(static) if (total > 256)
      for (int64_t e = 0; e < total; ++e) step(a, s, e / n, e % n);
    }
  }
}

// Runs the steps with the thresholds and depth maps of `args_template` (the caller keeps
// the maps alive).
GtMatches run(const PointSet (&p)[2], const Tensor& params, const GtArgs& args_template) {
  Buffers buf;
  GtArgs a = make_args(p, buf, params);
  a.depth = args_template.depth;
  a.epipolar = args_template.epipolar;
  a.pos2 = args_template.pos2;
  a.neg2 = args_template.neg2;
  a.neg = args_template.neg;
  for (int s = 0; s < 2; ++s) {
    a.side[s].depth = args_template.side[s].depth;
    a.side[s].h = args_template.side[s].h;
    a.side[s].w = args_template.side[s].w;
  }
  const Device dev = p[0].kp.device();
  if (a.batch > 0 && (a.side[0].n > 0 || a.side[1].n > 0)) {
    if (dev.is_cuda())
      detail::run_gt_cuda(a, dev.index);
    else
      run_cpu(a);
  } else {
    for (int s = 0; s < 2; ++s) buf.matches[s].fill_(-1);
  }
  GtMatches out;
  out.matches0 = buf.matches[0];
  out.matches1 = buf.matches[1];
  out.assignment = buf.assignment;
  out.proj_0to1 = buf.proj[0].to(DType::F32);
  out.proj_1to0 = buf.proj[1].to(DType::F32);
  out.visible0 = buf.visible[0].to(DType::Bool);
  out.visible1 = buf.visible[1].to(DType::Bool);
  return out;
}

void check_pair_inputs(const PointSet (&p)[2], const char* what) {
  check_same_device(p[0].kp, p[1].kp, what);
  SP_CHECK(p[0].kp.size(0) == p[1].kp.size(0), what,
           ": expected both keypoint sets of one batch size, got ", p[0].kp.meta(), " and ",
           p[1].kp.meta());
}

void check_threshold(double value, const char* what, const char* name) {
  SP_CHECK(value > 0 && std::isfinite(value), what, ": expected ", name, " > 0, got ", value);
}

}  // namespace

GtMatches gt_matches_from_homography(const Tensor& kp0, const Tensor& kp1, const Tensor& H_0to1,
                                     const Tensor& mask0, const Tensor& mask1,
                                     const HomographyGtOptions& options) {
  const char* what = "gt_matches_from_homography";
  const PointSet p[2] = {point_set(kp0, mask0, what, "image-0"),
                         point_set(kp1, mask1, what, "image-1")};
  check_pair_inputs(p, what);
  check_threshold(options.th_positive, what, "th_positive");
  check_threshold(options.th_negative, what, "th_negative");
  const int64_t B = kp0.size(0);
  check_same_device(kp0, H_0to1, what);
  const auto Hs = host_matrices(H_0to1, B, 3, 3, what, "H_0to1");
  std::vector<double> params;
  for (int64_t b = 0; b < B; ++b) {
    const Eigen::Matrix3d H = Hs[b];
    SP_CHECK(std::abs(H.determinant()) > 1e-12, what, ": expected an invertible H_0to1, got ",
             "determinant ", H.determinant(), " in pair ", b);
    const Eigen::Matrix3d Hi = H.inverse();
    for (int k = 0; k < 9; ++k) params.push_back(H(k / 3, k % 3));
    for (int k = 0; k < 9; ++k) params.push_back(Hi(k / 3, k % 3));
  }
  GtArgs t;
  t.depth = false;
  t.pos2 = options.th_positive * options.th_positive;
  t.neg2 = options.th_negative * options.th_negative;
  t.neg = options.th_negative;
  const Tensor P = from_vector(params, {B, detail::kHomographyParams}).to(kp0.device());
  return run(p, P, t);
}

GtMatches gt_matches_from_depth(const Tensor& kp0, const Tensor& kp1, const PosedPairs& pairs,
                                const Tensor& mask0, const Tensor& mask1,
                                const DepthGtOptions& options) {
  const char* what = "gt_matches_from_depth";
  const PointSet p[2] = {point_set(kp0, mask0, what, "image-0"),
                         point_set(kp1, mask1, what, "image-1")};
  check_pair_inputs(p, what);
  check_threshold(options.th_positive, what, "th_positive");
  check_threshold(options.th_negative, what, "th_negative");
  const int64_t B = kp0.size(0);
  const auto K0 = host_matrices(pairs.K0, B, 3, 3, what, "K0");
  const auto K1 = host_matrices(pairs.K1, B, 3, 3, what, "K1");
  const auto T = host_matrices(pairs.T_0to1, B, 4, 4, what, "T_0to1");
  const auto S0 = host_sizes(pairs.image_size0, B, what, "image_size0");
  const auto S1 = host_sizes(pairs.image_size1, B, what, "image_size1");
  std::vector<double> params;
  for (int64_t b = 0; b < B; ++b) {
    const Eigen::Matrix3d R = T[b].topLeftCorner(3, 3);
    const Eigen::Vector3d t = T[b].topRightCorner(3, 1);
    const Eigen::Matrix3d Ri = R.transpose();
    const Eigen::Vector3d ti = -Ri * t;
    const Eigen::MatrixXd* Ks[2] = {&K0[b], &K1[b]};
    const Eigen::MatrixXd* sizes[2] = {&S0[b], &S1[b]};
    for (int d = 0; d < 2; ++d) {
      const Eigen::MatrixXd& Ksrc = *Ks[d];
      const Eigen::MatrixXd& Kdst = *Ks[1 - d];
      for (const Eigen::MatrixXd* K : {&Ksrc, &Kdst})
        SP_CHECK((*K)(0, 0) != 0 && (*K)(1, 1) != 0, what,
                 ": expected intrinsics with non-zero focal lengths, got fx ", (*K)(0, 0), ", fy ",
                 (*K)(1, 1), " in pair ", b);
      params.insert(params.end(), {Ksrc(0, 0), Ksrc(1, 1), Ksrc(0, 2), Ksrc(1, 2)});
      const Eigen::Matrix3d& Rd = d == 0 ? R : Ri;
      const Eigen::Vector3d& td = d == 0 ? t : ti;
      for (int k = 0; k < 9; ++k) params.push_back(Rd(k / 3, k % 3));
      for (int k = 0; k < 3; ++k) params.push_back(td(k));
      params.insert(params.end(), {Kdst(0, 0), Kdst(1, 1), Kdst(0, 2), Kdst(1, 2),
                                   (*sizes[1 - d])(0, 0), (*sizes[1 - d])(1, 0)});
    }
    Eigen::Matrix3d tx;
    tx << 0, -t(2), t(1), t(2), 0, -t(0), -t(1), t(0), 0;
    const Eigen::Matrix3d k0 = K0[b], k1 = K1[b];
    const Eigen::Matrix3d F = k1.inverse().transpose() * tx * R * k0.inverse();
    for (int k = 0; k < 9; ++k) params.push_back(F(k / 3, k % 3));
  }
  GtArgs t;
  t.depth = true;
  t.epipolar = options.th_epi > 0;
  t.pos2 = options.th_positive * options.th_positive;
  t.neg2 = options.th_negative * options.th_negative;
  t.neg = options.th_negative;
  const Tensor* depths[2] = {&pairs.depth0, &pairs.depth1};
  std::vector<Tensor> maps;
  for (int s = 0; s < 2; ++s) {
    const Tensor& d = *depths[s];
    SP_CHECK(d.defined() && d.dim() == 3 && d.size(0) == B && is_floating(d.dtype()), what,
             ": expected depth", s, " [", B, ", H, W] of a floating dtype, got ",
             d.defined() ? d.meta() : "none");
    check_same_device(kp0, d, what);
    maps.push_back(d.to(DType::F32).contiguous());
    t.side[s].depth = maps.back().data<float>();
    t.side[s].h = d.size(1);
    t.side[s].w = d.size(2);
  }
  const Tensor P = from_vector(params, {B, detail::kDepthParams}).to(kp0.device());
  return run(p, P, t);
}

}  // namespace sp::geometry
