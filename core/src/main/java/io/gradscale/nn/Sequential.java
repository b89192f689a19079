package io.gradscale.nn;

import io.gradscale.autograd.Var;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

/** Modules applied in order, {@code y = f_n(... f_1(x))}, registered as children {@code 0, 1, ...} as in PyTorch. */
public final class Sequential extends Module {
    private final List<Module> layers = new ArrayList<>();

    public Sequential(Module... layers) {
        for (Module m : layers) {
            add(m);
        }
    }

    /** Appends a module under the next index; returns this. */
    public Sequential add(Module m) {
        layers.add(registerModule(Integer.toString(layers.size()), m));
        return this;
    }

    public List<Module> layers() {
        return Collections.unmodifiableList(layers);
    }

    public Module get(int i) {
        return layers.get(i);
    }

    public int size() {
        return layers.size();
    }

    @Override
    public Var forward(Var x) {
        Var y = x;
        for (Module m : layers) {
            y = m.forward(y);
        }
        return y;
    }
}
