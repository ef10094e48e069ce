// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {ChannelFixture} from "../utils/ChannelFixture.sol";
import {CoreChannelState} from "../../src/interfaces/Types.sol";

contract FixtureSmokeTest is ChannelFixture {
    function test_disputeAndDefund_paysBothParties() public {
        depositAlice(ETH, 3 ether);
        depositBob(ETH, 2 ether);
        CoreChannelState memory ccs = singleAssetState(ETH, 1 ether, 4 ether, 7);
        disputeAndEnterDefund(ccs);
        address[] memory assets = new address[](1);
        uint256[] memory indices = new uint256[](1);
        channel.defundChannel(ccs, assets, indices);
        assertEq(channel.getExitableAmount(ETH, alice), 1 ether);
        assertEq(channel.getExitableAmount(ETH, bob), 4 ether);
        vm.prank(bob);
        channel.exit(ETH, bob, payable(bob));
        assertEq(bob.balance, 4 ether);
    }
}
