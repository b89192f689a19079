package io.gradscale.tensor;

/**
 * Chooses the kernels once per JVM. The SIMD class is loaded by name only when the Vector API
 * module is in the boot layer, so the library runs (on the scalar path) without it. Setting the
 * system property {@code gradscale.kernels=scalar} forces the reference.
 */
final class KernelSelection {
    static final Kernels BEST = select();

    private KernelSelection() {
    }

    private static Kernels select() {
        if ("scalar".equals(System.getProperty("gradscale.kernels"))) {
            return ScalarKernels.INSTANCE;
        }
        if (ModuleLayer.boot().findModule("jdk.incubator.vector").isEmpty()) {
            return ScalarKernels.INSTANCE;
        }
        try {
            return (Kernels) Class.forName("io.gradscale.tensor.VectorKernels")
                    .getDeclaredConstructor().newInstance();
        } catch (ReflectiveOperationException | LinkageError e) {
            return ScalarKernels.INSTANCE;
        }
    }

    /** True when the SIMD kernels are in use. */
    static boolean simd() {
        return BEST != ScalarKernels.INSTANCE;
    }
}
