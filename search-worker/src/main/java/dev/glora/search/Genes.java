package dev.glora.search;

import io.jenetics.Chromosome;
import io.jenetics.Genotype;
import io.jenetics.IntegerChromosome;
import io.jenetics.IntegerGene;
import io.jenetics.util.MSeq;
import java.util.ArrayList;
import java.util.List;

/**
 * A working copy of a genotype's genes for the operators, read and written layer by layer: gene
 * {@code i} is layer {@code i / 5}'s term {@code i % 5}, the order of the reference's flat gene
 * list, in which every random draw of the search is made. Jenetics' genotypes are immutable; {@link
 * #genotype()} builds the altered one.
 */
final class Genes {

    private final List<MSeq<IntegerGene>> chromosomes = new ArrayList<>();

    /**
     * @param genotype a genotype of an {@link Encoding}: one chromosome per term
     */
    Genes(Genotype<IntegerGene> genotype) {
        for (Chromosome<IntegerGene> chromosome : genotype) {
            chromosomes.add(MSeq.of(chromosome));
        }
    }

    /**
     * @return genes in all
     */
    int length() {
        return chromosomes.size() * chromosomes.get(0).size();
    }

    /**
     * @param index a gene, layer by layer
     * @return it
     */
    IntegerGene get(int index) {
        return chromosomes.get(index % chromosomes.size()).get(index / chromosomes.size());
    }

    /**
     * @param index a gene, layer by layer
     * @param gene its new value
     */
    void set(int index, IntegerGene gene) {
        chromosomes.get(index % chromosomes.size()).set(index / chromosomes.size(), gene);
    }

    /**
     * @return the genotype these genes now make
     */
    Genotype<IntegerGene> genotype() {
        return Genotype.of(chromosomes.stream().map(IntegerChromosome::of).toList());
    }
}
