package io.gradscale.fuzz;

import static org.junit.platform.engine.discovery.DiscoverySelectors.selectMethod;

import org.junit.platform.launcher.Launcher;
import org.junit.platform.launcher.LauncherDiscoveryRequest;
import org.junit.platform.launcher.core.LauncherDiscoveryRequestBuilder;
import org.junit.platform.launcher.core.LauncherFactory;
import org.junit.platform.launcher.listeners.SummaryGeneratingListener;

/**
 * Runs one fuzz target outside Maven, for {@code fuzz/run-campaign.sh}: the campaign runs from a
 * snapshot of the compiled classes, so rebuilding the working tree meanwhile does not disturb it.
 *
 * <pre>JAZZER_FUZZ=1 java -cp ... io.gradscale.fuzz.Campaign io.gradscale.fuzz.DataFuzzTest#idx</pre>
 */
public final class Campaign {
    private Campaign() {
    }

    public static void main(String[] args) {
        if (args.length != 1 || !args[0].contains("#")) {
            System.err.println("usage: Campaign CLASS#METHOD (e.g. io.gradscale.fuzz.DataFuzzTest#idx)");
            System.exit(2);
        }
        String[] target = args[0].split("#", 2);
        LauncherDiscoveryRequest request = LauncherDiscoveryRequestBuilder.request()
                .selectors(selectMethod(target[0] + "#" + target[1] + "(byte[])"))
                .build();
        Launcher launcher = LauncherFactory.create();
        SummaryGeneratingListener summary = new SummaryGeneratingListener();
        launcher.execute(request, summary);
        summary.getSummary().printTo(new java.io.PrintWriter(System.out, true));
        summary.getSummary().printFailuresTo(new java.io.PrintWriter(System.out, true), 40);
        System.exit(summary.getSummary().getTotalFailureCount() == 0 ? 0 : 1);
    }
}
