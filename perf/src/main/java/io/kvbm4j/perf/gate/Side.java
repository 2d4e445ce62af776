package io.kvbm4j.perf.gate;

import java.util.function.IntSupplier;

/**
 * One benchmark as {@link PairedRatios} runs it: a JMH benchmark method of this module called with its
 * JMH states, set up by their own {@code @Setup} methods, so the code measured here is the code the JMH
 * suite measures. {@link #invoke()} is timed; {@link #before()} and {@link #after()} are the benchmark's
 * untimed per-invocation helpers ({@code @Setup}/{@code @TearDown(Level.Invocation)}).
 */
interface Side
{
    /** The JMH benchmark's name, {@code Class.method} or {@code Class.method[param]}. */
    String name();

    /** Operations per invocation, the benchmark's {@code @OperationsPerInvocation}. */
    int opsPerInvocation();

    /** Untimed, before each invocation. */
    default void before()
    {
    }

    /** One invocation of the benchmark method; the result is consumed so it cannot be optimised away. */
    int invoke();

    /** Untimed, after each invocation. */
    default void after()
    {
    }

    /** A side with no per-invocation helpers. */
    static Side of(final String name, final int opsPerInvocation, final IntSupplier invoke)
    {
        return new Side()
        {
            @Override
            public String name()
            {
                return name;
            }

            @Override
            public int opsPerInvocation()
            {
                return opsPerInvocation;
            }

            @Override
            public int invoke()
            {
                return invoke.getAsInt();
            }
        };
    }
}
